using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Distributed;
using Functional.Models.Digits;
using Functional.Models.Titles;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// ZeRO stage 1 on the exact data-parallel path (<see cref="ZeroShards"/>). <c>zero-memory</c>: the optimizer-state bytes
/// each rank holds at 1, 2 and 4 ranks (Adam after global-norm clipping: two moments per parameter) on the title model
/// and the MNIST models, from the tensors of each rank's shard. <c>mpirun -np R ... zero-race [--rounds 9] [--steps 10]
/// [--batch 256] [--micro-shards 8] [--threads 1]</c>: on every rank, the exact step unsharded against the exact step
/// sharded, interleaved round by round, on the MNIST MLP 784-256-256-10 with random pixels; rank 0 prints the median
/// milliseconds per step of each, the ratio and the load average before and after.
/// </summary>
public static class ZeroRace
{
    /// <summary>The memory table.</summary>
    public static int Memory(string[] arguments)
    {
        new Arguments(arguments).CheckAllUsed();
        var pipeline = new Chain(new ClipByGlobalNorm(1), Optimizer.Adam(1e-3));
        using var generator = new torch.Generator(1);
        var models = new (string Name, IReadOnlyList<TreeLeaf> Leaves)[]
        {
            ("title model (LSTM seq2seq, vocabulary 5000, default options)", Tree.Flatten(TitleModel.Init(generator, 5000, TitleModelOptions.Default, torch.CPU))),
            ("MNIST MLP 784-256-256-10", Tree.Flatten(DigitClassifier.Init(generator, 256, 0.2, torch.CPU))),
            ("MNIST conv + batch norm (16 channels)", Tree.Flatten(ConvDigitClassifier.Init(generator, 16, 0.2, torch.CPU))),
        };
        Say($"optimizer-state bytes per rank, ZeRO-1 (whole leaves, size-balanced), Adam after global-norm clipping; MB = 10^6 bytes");
        Say($"{"model",-62} {"leaves",6} {"params MB",10} {"1 rank",9} {"2 ranks: per rank",22} {"4 ranks: per rank",34}");
        foreach (var (name, leaves) in models)
        {
            string Row(int ranks) => string.Join(" / ", Enumerable.Range(0, ranks).Select(rank => Mb(ZeroShards.StateBytes(pipeline, leaves.Select(leaf => leaf.Value).ToArray(), rank, ranks))));
            var parameterBytes = leaves.Sum(leaf => leaf.Value.numel() * leaf.Value.ElementSize);
            Say($"{name,-62} {leaves.Count,6} {Mb(parameterBytes),10} {Row(1),9} {Row(2),22} {Row(4),34}");
            foreach (var leaf in leaves) leaf.Value.Dispose();
        }
        return 0;
    }

    /// <summary>The step-time race under <c>mpirun</c>.</summary>
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
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        using var generator = new torch.Generator(1);
        var parameters = DigitClassifier.Init(generator, 256, 0.2, torch.CPU);
        var pipeline = new Chain(new ClipByGlobalNorm(1), Optimizer.Adam(1e-3));
        var whole = TrainState.Init(parameters, NoState.Value, pipeline, 1);
        var zero = ZeroShards.Create(communicator, pipeline, parameters);
        var sharded = whole with { OptimizerState = zero.Shard(whole.OptimizerState, parameters) };
        using var pixels = torch.rand([batch, DigitClassifier.Pixels], generator: generator);
        using var digits = torch.randint(10, [batch], dtype: torch.int64, generator: generator);
        var run = MicroShards.Of(microShards, communicator.Rank, communicator.Size);
        var micro = MicroShards.Cut(Enumerable.Range(0, batch).ToArray(), microShards, communicator.Rank, communicator.Size)
            .Select(indices => DigitBatch.Gather(pixels, digits, indices)).ToArray();
        var share = new ExactShare<DigitBatch>(microShards, run.First, [micro]);
        Func<TrainState<DigitClassifier, NoState>>[] ways =
        [
            () => ExactDataParallel.Step(communicator, DigitClassifier.Model, pipeline, whole, share).State,
            () => ExactDataParallel.StepSharded(communicator, DigitClassifier.Model, sharded, share, zero).State,
        ];
        var times = ways.Select(_ => new List<double>()).ToArray();
        for (var round = -2; round < rounds; round++) // two warm-up rounds
            for (var i = 0; i < ways.Length; i++)
            {
                communicator.Barrier();
                var watch = Stopwatch.StartNew();
                for (var step = 0; step < steps; step++) TrainState.Dispose(ways[i]());
                communicator.Barrier();
                if (round >= 0) times[i].Add(watch.Elapsed.TotalMilliseconds / steps);
            }
        if (communicator.IsRoot)
        {
            var (unsharded, shardedMs) = (Median(times[0]), Median(times[1]));
            Say($"zero race: MNIST MLP 784-256-256-10, Adam after global-norm clipping, global batch {batch}, {microShards} micro-shards, {communicator.Size} rank(s), {torch.get_num_threads()} libtorch thread(s) each, median of {rounds} rounds of {steps} steps");
            Say($"{"exact unsharded ms",20} {"exact ZeRO-1 ms",17} {"ZeRO-1 / unsharded",20}");
            Say($"{unsharded,20:F2} {shardedMs,17:F2} {shardedMs / unsharded,20:F3}");
            Say($"load before {loadBefore}; after {File.ReadAllText("/proc/loadavg").Trim()}");
        }
        foreach (var b in micro) b.Dispose();
        foreach (var tensor in OptimizerStates.Tensors(sharded.OptimizerState)) tensor.Dispose();
        TrainState.Dispose(whole);
        return 0;
    }

    static string Mb(long bytes) => (bytes / 1e6).ToString("F2", CultureInfo.InvariantCulture);

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
