using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Models.Titles;
using Functional.Models.Titles.UniLm;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// The UniLM title model's training forward and backward (loss and gradients of every parameter) on
/// <see cref="TitlesRace"/>'s random batch: <c>dotnet run --project Benchmarks -c Release -- unilm-step [--rounds N]
/// [--steps N] [--width N] [--layers N] [--hidden N] [--dropout R]</c> (defaults 11, 3, 256, 3, 1024, 0.1; one libtorch
/// thread). Prints the median ms per step and the load average. It has no peer: compare two builds by running them in
/// alternating rounds.
/// </summary>
public static class UniLmStepTiming
{
    /// <summary>Runs the timing; returns 0.</summary>
    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = new Arguments(arguments);
        var rounds = options.Integer("rounds", 11);
        var steps = options.Integer("steps", 3);
        var width = options.Integer("width", 256);
        var layers = options.Integer("layers", 3);
        var hidden = options.Integer("hidden", 1024);
        var dropout = options.Number("dropout", 0.1);
        options.CheckAllUsed();
        torch.set_num_threads(1);
        var load = File.ReadAllText("/proc/loadavg").Trim();
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(TitlesRace.Seed);
        var modelOptions = TitleModelOptions.Default with { EmbeddingSize = width, DecoderLayers = layers, OutputHidden = hidden, Dropout = dropout };
        var parameters = UniLmModel.Init(generator, TitlesRace.Vocabulary, modelOptions, torch.CPU);
        using var batch = TitleBatches.Collate(TitlesRace.RandomPairs(), 1);
        var times = new List<double>();
        for (var round = -2; round < rounds; round++) // two warm-up rounds
        {
            var watch = Stopwatch.StartNew();
            for (var step = 0; step < steps; step++)
            {
                using var stepScope = torch.NewDisposeScope();
                Autodiff.ValueAndGrad(p => UniLmLoss.Apply(p, batch, modelOptions, true, generator, 0).Loss, parameters);
            }
            if (round >= 0) times.Add(watch.Elapsed.TotalMilliseconds / steps);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"unilm step (width {width}, {layers} blocks, hidden {hidden}, dropout {dropout}, batch {TitlesRace.Batch}): median {times.Order().ElementAt(times.Count / 2):F1} ms of {rounds} rounds of {steps} steps; load before {load}, after {File.ReadAllText("/proc/loadavg").Trim()}"));
        return 0;
    }
}
