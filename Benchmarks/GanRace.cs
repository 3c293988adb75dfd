using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Functional.Core;
using TorchSharp;
using Functional.Cli;
using Functional.Models.Digits;
using Functional.Models.Gan;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// The GAN update race: <c>dotnet run --project Benchmarks -c Release -- gan-race</c>. Times one single-loss update
/// (<see cref="GanModel.Loss"/> through <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/>: one forward/backward pass, one
/// optimizer call) against one alternating D+G update (<see cref="AlternatingStep"/>: two passes, two optimizer calls) on
/// the same networks, batch and optimizer pipelines, in the same process, in interleaved rounds (so a change in machine
/// load hits both), and prints the median time of each and their ratio, with and without spectral normalisation.
/// Options: <c>--rounds N</c> (15), <c>--steps N</c> steps per timing (10), <c>--batch N</c> (64), <c>--hidden N</c>
/// (the default GAN's width), <c>--threads N</c> (libtorch's default).
/// <c>--ops 1</c> profiles instead: the ops of a step (the power iteration's matrix-vector products, a large element-wise
/// op, a linear layer, a whole step) call by call, in interleaved rounds at 1 thread, 2 threads, and 2 threads with
/// MKL's own thread count at 1 (<c>MKL_Set_Num_Threads_Local</c>, a diagnosis only), with the median, 90th percentile
/// and mean time per call: on a busy machine the mean shows the waits that the median hides.
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
        var ops = options.Integer("ops", 0) != 0;
        options.CheckAllUsed();
        if (ops) return Profile(rounds, steps, batch, hidden);
        if (threads > 0) torch.set_num_threads(threads);
        Say($"GAN update race: MLP hinge GAN, G 64-{hidden}-{2 * hidden}-784, D 784-{2 * hidden}-{hidden}-1, batch {batch}, {torch.get_num_threads()} libtorch thread(s), median of {rounds} rounds of {steps} steps each; load {Load()}");
        Say($"{"spectral norm",-14} {"single-loss ms",15} {"alternating ms",15} {"single / alternating",21}");
        foreach (var spectral in new[] { true, false })
        {
            var gan = GanOptions.Default with { SpectralNorm = spectral, GeneratorHidden = hidden, DiscriminatorHidden = hidden };
            var optimizer = GanOptimizer.Adam(gan);
            var singleStep = SingleStep(gan, optimizer);
            var alternatingStep = AlternatingStep.Step(optimizer, gan.Lambda);
            using var generator = new torch.Generator(1);
            var single = Init(generator, gan, optimizer);
            var alternating = Init(generator, gan, optimizer);
            using var real = torch.rand([batch, DigitClassifier.Pixels], generator: generator).mul(Scalars.Two).sub(Scalars.One);
            var singleTimes = new List<double>();
            var alternatingTimes = new List<double>();
            for (var round = -2; round < rounds; round++) // two warm-up rounds
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < steps; i++) single = Advance(single, singleStep(single, real));
                var singleMs = watch.Elapsed.TotalMilliseconds / steps;
                watch.Restart();
                for (var i = 0; i < steps; i++) alternating = Advance(alternating, alternatingStep(alternating, real));
                var alternatingMs = watch.Elapsed.TotalMilliseconds / steps;
                if (round < 0) continue;
                singleTimes.Add(singleMs);
                alternatingTimes.Add(alternatingMs);
            }
            var (s, a) = (Median(singleTimes), Median(alternatingTimes));
            Say($"{(spectral ? "on" : "off"),-14} {s,15:F2} {a,15:F2} {s / a,21:F3}");
            TrainState.Dispose(single);
            TrainState.Dispose(alternating);
        }
        Say($"ratio below 1: the single-loss update is faster than one alternating D+G update. Load at the end {Load()}");
        return 0;
    }

    static TrainStep<GanParams, GanState, torch.Tensor> SingleStep(GanOptions gan, GanOptimizer optimizer)
    {
        var model = GanModel.Loss(gan.Lambda);
        return (state, batch) => TrainingSteps.Step(model, optimizer.Joint, state, batch);
    }

    static TrainState<GanParams, GanState> Init(torch.Generator generator, GanOptions gan, GanOptimizer optimizer)
    {
        var parameters = GanParams.Init(generator, gan, torch.CPU);
        var modelState = GanModel.InitState(generator, parameters, gan);
        var state = TrainState.Init(parameters, modelState, optimizer.Joint, 1);
        Tree.Dispose(parameters);
        Tree.Dispose(modelState);
        return state;
    }

    static TrainState<GanParams, GanState> Advance(TrainState<GanParams, GanState> old, StepResult<GanParams, GanState> result)
    {
        TrainState.Dispose(old);
        return result.State;
    }

    [DllImport("libtorch_cpu", EntryPoint = "MKL_Set_Num_Threads_Local")]
    static extern int MklLocalThreads(int threads);

    static int Profile(int rounds, int calls, int batch, int hidden)
    {
        var gan = GanOptions.Default with { GeneratorHidden = hidden, DiscriminatorHidden = hidden };
        var optimizer = GanOptimizer.Adam(gan);
        var step = SingleStep(gan, optimizer);
        using var generator = new torch.Generator(1);
        var state = Init(generator, gan, optimizer);
        var d = state.Parameters.Discriminator;
        var w = d.Input.Weight;
        var spectral = state.ModelState.Spectral!;
        var (u, v) = (spectral.Input.U, spectral.Input.V);
        using var real = torch.rand([batch, DigitClassifier.Pixels], generator: generator).mul(Scalars.Two).sub(Scalars.One);
        var ops = new (string Name, Action Run)[]
        {
            ($"Wᵀu (mv, W {Shapes.Describe(w)})", () => { using var _ = torch.no_grad(); w.t().mv(u); }),
            ("W v (mv)", () => { using var _ = torch.no_grad(); w.mv(v); }),
            ("W + W (element-wise)", () => w.add(w, Scalars.One)),
            ($"linear [{batch}, 784] -> {2 * hidden}", () => Linear.Apply(d.Input, real)),
            ("SpectralNorm.Apply (training)", () => SpectralNorm.Apply(w, spectral.Input, training: true)),
            ("SpectralNorm.Iterate", () => SpectralNorm.Iterate(w, spectral.Input)),
            ("W/(u·Wv) fwd+bwd, no reshape", () => Autodiff.ValueAndGrad(x => x.div(u.dot(x.mv(v))).sum(), w)),
            ("W/(u·Wv) fwd+bwd, reshape", () => Autodiff.ValueAndGrad(x => x.div(u.dot(x.reshape(x.shape[0], -1).mv(v))).sum(), w)),
            ("Apply(eval) fwd+bwd", () => Autodiff.ValueAndGrad(x => SpectralNorm.Apply(x, spectral.Input, false).Weight.sum(), w)),
            ("W*2 fwd+bwd", () => Autodiff.ValueAndGrad(x => x.mul(Scalars.Two).sum(), w)),
            ("D normalised (training), fwd+bwd", () => Autodiff.ValueAndGrad(p => Discriminator.Apply(Discriminator.Normalize(p, spectral, true).Weights, real).mean(), d)),
            ("D plain, fwd+bwd", () => Autodiff.ValueAndGrad(p => Discriminator.Apply(p, real).mean(), d)),
            ("single-loss step", () => TrainState.Dispose(step(state, real).State)),
        };
        var configurations = new (string Name, Action Set)[]
        {
            ("1 thread", () => { torch.set_num_threads(1); MklLocalThreads(0); }),
            ("2 threads", () => { torch.set_num_threads(2); MklLocalThreads(0); }),
            ("2, MKL 1", () => { torch.set_num_threads(2); MklLocalThreads(1); }),
        };
        Say($"GAN ops, µs per call (p50 / p90 / mean) over {rounds} interleaved rounds of {calls} calls; load {Load()}");
        foreach (var (name, run) in ops)
        {
            var times = configurations.Select(_ => new List<double>()).ToArray();
            for (var round = -1; round < rounds; round++)
                for (var c = 0; c < configurations.Length; c++)
                {
                    configurations[c].Set();
                    for (var i = 0; i < calls; i++)
                    {
                        using var scope = torch.NewDisposeScope();
                        var watch = Stopwatch.StartNew();
                        run();
                        if (round >= 0) times[c].Add(watch.Elapsed.TotalMicroseconds);
                    }
                }
            var line = $"{name,-36}";
            for (var c = 0; c < configurations.Length; c++)
            {
                var sorted = times[c].Order().ToArray();
                line += string.Create(CultureInfo.InvariantCulture, $" | {configurations[c].Name} {sorted[sorted.Length / 2],8:F0} {sorted[sorted.Length * 9 / 10],8:F0} {sorted.Average(),8:F0}");
            }
            Console.WriteLine(line);
        }
        MklLocalThreads(0);
        TrainState.Dispose(state);
        Say($"load at the end {Load()}");
        return 0;
    }

    static string Load() => File.ReadAllText("/proc/loadavg").Trim();

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
