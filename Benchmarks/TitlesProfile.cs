using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Models;
using Functional.Optimizers;
using static TorchSharp.torch;

namespace Functional.Benchmarks;

/// <summary>
/// Where the title model's training step spends its time: <c>dotnet run --project Benchmarks -c Release --
/// titles-profile [rounds]</c>. Times the parts of our step (forward, forward and backward, the whole step, the
/// encoder LSTM, the loss and accuracy) beside the same parts of the nn-module peer, in alternating rounds on the
/// race's batch; prints the median of each.
/// </summary>
public static class TitlesProfile
{
    const int Vocabulary = 3205, Batch = 32, Seed = 7;

    /// <summary>Runs the profile; the optional argument is the number of rounds (default 7).</summary>
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
        Console.WriteLine($"torch threads: {get_num_threads()}; load: {File.ReadAllText("/proc/loadavg").Trim()}");
        var options = TitleModelOptions.Default with { Dropout = 0 };
        using var generator = new Generator(Seed);
        var parameters = TitleModel.Init(generator, Vocabulary, options, CPU);
        var random = new Random(Seed);
        var pairs = Enumerable.Range(0, Batch).Select(_ => new EncodedTitlePair(
            Enumerable.Range(0, random.Next(60, 101)).Select(_ => random.Next(4, Vocabulary)).ToArray(),
            Enumerable.Range(0, random.Next(12, 30)).Select(_ => random.Next(4, Vocabulary)).ToArray())).ToArray();
        using var batch = TitleBatches.Collate(pairs, 1);
        using var peer = new NnTitleModel(parameters, options);
        var optimizer = Optimizer.Adam(1e-3);
        var model = TitleModelLoss.Of(options);
        var state = TrainState.Init(parameters, optimizer, Seed);
        var torchOptimizer = optim.Adam(peer.parameters(), 1e-3);
        var embedded = Embedding.Apply(parameters.Embedding, batch.Article);
        var logits = randn([Batch, batch.Target.shape[1], Vocabulary], generator: generator);

        var parts = new (string Name, Action Run)[]
        {
            ("ours: forward (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); TitleLoss.Apply(parameters, batch, options, false, generator, Capture.None); }),
            ("peer: forward (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); peer.Loss(batch); }),
            ("ours: value and gradient", () => { using var s = NewDisposeScope(); Autodiff.ValueAndGrad(p => TitleLoss.Apply(p, batch, options, true, generator, Capture.None).Loss, parameters); }),
            ("peer: forward + backward", () => { using var s = NewDisposeScope(); peer.zero_grad(); peer.Loss(batch).backward(); }),
            ("ours: Training.Step", () => { var next = Training.Step(model, optimizer, state, batch).State; TrainState.Dispose(state); state = next; }),
            ("peer: step", () => { using var s = NewDisposeScope(); torchOptimizer.zero_grad(); peer.Loss(batch).backward(); torchOptimizer.step(); }),
            ("ours: encoder LSTM value and gradient", () => { using var s = NewDisposeScope(); Autodiff.ValueAndGrad(p => Lstm.Apply(p, embedded, batch.ArticleMask).Output.Values.sum(), parameters.Encoder); }),
            ("ours: cross-entropy + accuracy (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); Masks.CrossEntropy(logits, batch.Target, batch.TargetMask); Masks.Accuracy(logits, batch.Target, batch.TargetMask); }),
            ("peer: cross-entropy of selected rows (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); nn.functional.cross_entropy(logits[batch.TargetMask], batch.Target[batch.TargetMask]); }),
        };
        foreach (var part in parts) part.Run();
        var times = parts.Select(_ => new double[rounds]).ToArray();
        for (var round = 0; round < rounds; round++)
            for (var i = 0; i < parts.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                parts[i].Run();
                times[i][round] = watch.Elapsed.TotalMilliseconds;
            }
        for (var i = 0; i < parts.Length; i++)
        {
            Array.Sort(times[i]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{parts[i].Name,-50} median {times[i][rounds / 2],7:F1} ms  fastest {times[i][0],7:F1} ms"));
        }
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }
}
