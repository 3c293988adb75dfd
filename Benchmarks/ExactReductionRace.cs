using System.Diagnostics;
using Functional.Core;
using Functional.Distributed;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// <c>exact-race [--rounds 9] [--steps 10] [--batch 256] [--micro-shards 8] [--threads 1]</c>: in one process (a
/// job of one rank, no <c>mpirun</c>), a data-parallel step of today's reduction (<see cref="DataParallel.Step{TParams, TModelState, TBatch}"/>:
/// one backward over the rank's shard, one all-reduce) against the world-size-invariant step
/// (<see cref="ExactDataParallel.Step{TParams, TModelState, TBatch}"/>: one backward per micro-shard, the all-gather, the ordered sum), on
/// the MNIST MLP 784-256-256-10 (dropout, staged Adam) with random pixels. Prints the median milliseconds per step of
/// each, interleaved round by round, their ratio and the load average before and after. One rank is where the exact
/// step's cost is all computation (smaller matrix products, the sum, the copies); under R ranks its all-gather also
/// moves <c>M</c> gradients to every rank where the all-reduce moves about two.
/// </summary>
public static class ExactReductionRace
{
    /// <summary>Runs the race.</summary>
    public static int Run(string[] arguments)
    {
        var options = new Arguments(arguments);
        var rounds = options.Integer("rounds", 9);
        var steps = options.Integer("steps", 10);
        var batch = options.Integer("batch", 256);
        var microShards = options.Integer("micro-shards", 8);
        var threads = options.Integer("threads", 1);
        options.CheckAllUsed();
        torch.set_num_threads(threads);
        using var communicator = Communicator.World();
        Say($"exact reduction race: MNIST MLP 784-256-256-10, global batch {batch}, {microShards} micro-shards, {torch.get_num_threads()} libtorch thread(s), 1 rank, median of {rounds} rounds of {steps} steps; load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var generator = new torch.Generator(1);
        var parameters = DigitClassifier.Init(generator, 256, 0.2, torch.CPU);
        var pipeline = Optimizer.Adam(1e-3);
        var state = TrainState.Init(parameters, NoState.Value, pipeline, 1);
        using var pixels = torch.rand([batch, DigitClassifier.Pixels], generator: generator);
        using var digits = torch.randint(10, [batch], dtype: torch.int64, generator: generator);
        var whole = new DigitBatch(pixels, digits);
        var cut = MicroShards.Cut(Enumerable.Range(0, batch).ToArray(), microShards, 0, 1);
        var micro = cut.Select(indices => DigitBatch.Gather(pixels, digits, indices)).ToArray();
        var share = new ExactShare<DigitBatch>(microShards, 0, [micro]);
        Func<TrainState<DigitClassifier, NoState>, StepResult<DigitClassifier, NoState>>[] ways =
        [
            s => DataParallel.Step(communicator, DigitClassifier.Model, pipeline, s, whole),
            s => ExactDataParallel.Step(communicator, DigitClassifier.Model, pipeline, s, share),
        ];
        var times = ways.Select(_ => new List<double>()).ToArray();
        for (var round = -2; round < rounds; round++) // two warm-up rounds
        {
            for (var i = 0; i < ways.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                for (var step = 0; step < steps; step++)
                {
                    var next = ways[i](state).State;
                    TrainState.Dispose(next);
                }
                if (round >= 0) times[i].Add(watch.Elapsed.TotalMilliseconds / steps);
            }
        }
        var (today, exact) = (Median(times[0]), Median(times[1]));
        var count = Tree.Leaves(parameters).Sum(leaf => leaf.numel());
        Say($"{count:N0} parameters ({count * 4 / 1e6:F2} MB of float32): per update a rank receives {microShards} gradients by the all-gather ({microShards * count * 4 / 1e6:F1} MB) where a ring all-reduce moves about 2 ({2 * count * 4 / 1e6:F1} MB)");
        Say($"{"today (all-reduce) ms",22} {"exact (micro-shards) ms",24} {"exact / today",14}");
        Say($"{today,22:F2} {exact,24:F2} {exact / today,14:F3}");
        Say($"ratios above 1: the exact step is slower. load after {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var b in micro) b.Dispose();
        TrainState.Dispose(state);
        return 0;
    }

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
