using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using TorchSharp;
using Functional.Cli;
using Functional.Models.Digits;
using Functional.Models.Gan;

namespace Functional.Benchmarks;

/// <summary>
/// The GAN update race: <c>dotnet run --project Benchmarks -c Release -- gan-race</c>. Times one single-loss update
/// (<see cref="SingleLossStep"/>: one forward/backward pass, one optimizer call) against one alternating D+G update
/// (<see cref="AlternatingStep"/>: two passes, two optimizer calls) on the same networks, batch and optimizer
/// pipelines, in the same process, in interleaved rounds (so a change in machine load hits both), and prints the
/// median time of each and their ratio, with and without spectral normalisation.
/// Options: <c>--rounds N</c> (15), <c>--steps N</c> steps per timing (10), <c>--batch N</c> (64), <c>--hidden N</c>
/// (the default GAN's width), <c>--threads N</c> (libtorch's default).
/// </summary>
public static class GanRace
{
    /// <summary>Runs the race; returns 0.</summary>
    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = new Arguments(arguments);
        var rounds = options.Integer("rounds", 15);
        var steps = options.Integer("steps", 10);
        var batch = options.Integer("batch", 64);
        var threads = options.Integer("threads", 0);
        var hidden = options.Integer("hidden", GanOptions.Default.GeneratorHidden);
        options.CheckAllUsed();
        if (threads > 0) torch.set_num_threads(threads);
        Say($"GAN update race: MLP hinge GAN, G 64-{hidden}-{2 * hidden}-784, D 784-{2 * hidden}-{hidden}-1, batch {batch}, {torch.get_num_threads()} libtorch thread(s), median of {rounds} rounds of {steps} steps each");
        Say($"{"spectral norm",-14} {"single-loss ms",15} {"alternating ms",15} {"single / alternating",21}");
        foreach (var spectral in new[] { true, false })
        {
            var gan = GanOptions.Default with { SpectralNorm = spectral, GeneratorHidden = hidden, DiscriminatorHidden = hidden };
            var optimizer = GanOptimizer.Adam(gan);
            using var generator = new torch.Generator(1);
            var single = GanState.Init(generator, gan, optimizer, torch.CPU);
            var alternating = GanState.Init(generator, gan, optimizer, torch.CPU);
            using var real = torch.rand([batch, DigitClassifier.Pixels], generator: generator).mul(Scalars.Two).sub(Scalars.One);
            var singleTimes = new List<double>();
            var alternatingTimes = new List<double>();
            for (var round = -2; round < rounds; round++) // two warm-up rounds
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < steps; i++) single = Advance(single, SingleLossStep.Step(optimizer.Joint, gan.Lambda, single, real, generator));
                var singleMs = watch.Elapsed.TotalMilliseconds / steps;
                watch.Restart();
                for (var i = 0; i < steps; i++) alternating = Advance(alternating, AlternatingStep.Step(optimizer, gan.Lambda, alternating, real, generator));
                var alternatingMs = watch.Elapsed.TotalMilliseconds / steps;
                if (round < 0) continue;
                singleTimes.Add(singleMs);
                alternatingTimes.Add(alternatingMs);
            }
            var (s, a) = (Median(singleTimes), Median(alternatingTimes));
            Say($"{(spectral ? "on" : "off"),-14} {s,15:F2} {a,15:F2} {s / a,21:F3}");
            Tree.Dispose(single);
            Tree.Dispose(alternating);
        }
        Say($"ratio below 1: the single-loss update is faster than one alternating D+G update.");
        return 0;
    }

    static GanState Advance(GanState old, GanStepResult result)
    {
        Tree.Dispose(old);
        return result.State;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
