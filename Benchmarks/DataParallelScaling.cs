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
/// <c>scaling [--model mnist|titles|all] [--mnist-steps 200] [--mnist-batch 256] [--titles-steps 20] [--titles-batch 64]
/// [--rounds 1] [--bucket-bytes 4194304]</c>:
/// each model trained on the same global batch by 2 MPI ranks × 1 libtorch thread (with the gradient reduction after
/// backward, and overlapped with it in buckets), 1 process × 2 threads and 1 process × 1 thread, each in fresh processes
/// (<c>mpirun</c> for the ranks), with the library's data-parallel step (<see cref="DataParallel.StepWith{TParams, TModelState, TBatch}"/>).
/// With several rounds the configurations alternate (round 1: all of them, round 2: all again, ...) and the median of each
/// is reported. The models: the MNIST MLP (784-256-256-10, dropout, fused Adam) on
/// random pixels, and the title model (default options, vocabulary 5,000, the training command's clip + Adam + warm-up
/// cosine pipeline) on random character ids (articles of 80 to 100, titles of 15 to 25). Prints examples per second,
/// the ratios to 1 × 1, the share of a step spent in <c>MPI_Allreduce</c> (on any thread), the share the step waited for
/// its mean gradients after backward (the exposed reduction: <see cref="Communicator.ReductionWaitTime"/>), the load average before and after each model, and
/// the title model's parameter count with its all-reduce cost at 10 Gb/s.
/// </summary>
public static class DataParallelScaling
{
    const int TitleVocabulary = 5000;

    static readonly (string Name, int Ranks, int Threads, bool Overlap)[] Configurations =
        [("1 rank x 1 thread", 1, 1, false), ("1 rank x 2 threads", 1, 2, false), ("2 ranks x 1 thread", 2, 1, false), ("2 ranks x 1, overlap", 2, 1, true)];

    /// <summary>
    /// A worker's measurement: the timed steps' wall time, the part of it in <c>MPI_Allreduce</c> (any thread), and the part
    /// the steps waited for their mean gradients after backward.
    /// </summary>
    sealed record Timing(double Seconds, double AllReduceSeconds, double WaitSeconds);

    /// <summary>Runs the three configurations of each chosen model and prints one table per model.</summary>
    public static int Run(string[] args)
    {
        var options = new Arguments(args);
        var chosen = options.Text("model", "all");
        var mnist = (Steps: options.Integer("mnist-steps", 200), Batch: options.Integer("mnist-batch", 256));
        var titles = (Steps: options.Integer("titles-steps", 20), Batch: options.Integer("titles-batch", 64));
        var rounds = options.Integer("rounds", 1);
        var bucketBytes = options.Integer("bucket-bytes", (int)DataParallelOptions.Default.BucketBytes);
        options.CheckAllUsed();
        var models = chosen switch
        {
            "mnist" => new[] { "mnist" },
            "titles" => ["titles"],
            "all" => ["mnist", "titles"],
            _ => throw new ArgumentException($"--model must be mnist, titles or all, got '{chosen}'."),
        };
        foreach (var model in models)
        {
            var (steps, batch) = model == "mnist" ? mnist : titles;
            var title = model == "mnist"
                ? "MNIST MLP 784-256-256-10"
                : $"title model (default options, vocabulary {TitleVocabulary:N0}, random articles of 80-100 and titles of 15-25 ids)";
            Table(title, model, steps, batch, rounds, bucketBytes);
        }
        if (models.Contains("titles")) PrintTitleAllReduceCost();
        return 0;
    }

    static void Table(string title, string model, int steps, int batch, int rounds, int bucketBytes)
    {
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        var runs = Configurations.Select(_ => new List<(double Rate, double AllReduceShare, double WaitShare)>()).ToArray();
        for (var round = 0; round < rounds; round++)
            for (var c = 0; c < Configurations.Length; c++)
            {
                var (_, ranks, threads, overlap) = Configurations[c];
                var parts = Launch(model, ranks, threads, steps, batch, overlap, bucketBytes).Split(' ');
                runs[c].Add((double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture), double.Parse(parts[3], CultureInfo.InvariantCulture)));
            }
        var loadAfter = File.ReadAllText("/proc/loadavg").Trim();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{title}, global batch {batch}, {steps} timed steps each, {rounds} alternating round(s), median shown, buckets of {bucketBytes:N0} bytes ({Environment.ProcessorCount} cores)"));
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        var baseline = Median(runs[0].Select(r => r.Rate));
        for (var c = 0; c < Configurations.Length; c++)
        {
            var (rate, share, wait) = (Median(runs[c].Select(r => r.Rate)), Median(runs[c].Select(r => r.AllReduceShare)), Median(runs[c].Select(r => r.WaitShare)));
            var each = string.Join(" ", runs[c].Select(r => r.Rate.ToString("F0", CultureInfo.InvariantCulture)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Configurations[c].Name,-21} {rate,9:F0} examples/s   x{rate / baseline:F2} vs 1x1   all-reduce {share:P1}, waited for {wait:P1} of the step   (rounds: {each})"));
        }
        Console.WriteLine($"  load average before: {loadBefore}");
        Console.WriteLine($"  load average after:  {loadAfter}");
    }

    static void PrintTitleAllReduceCost()
    {
        using var generator = new torch.Generator(1);
        var titleParameters = TitleModel.Init(generator, TitleVocabulary, TitleModelOptions.Default, torch.CPU);
        var count = Tree.Leaves(titleParameters).Sum(t => t.numel());
        Tree.Dispose(titleParameters);
        // A ring all-reduce sends and receives 2 (R - 1) / R of the buffer per rank; at 10 Gb/s, 1.25 GB/s.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"title model (vocabulary {TitleVocabulary}, default options): {count:N0} parameters = {count * 4 / 1e6:F1} MB of float32 gradients; a ring all-reduce moves 2(R-1)/R of it per rank: {2 * count * 4 / 1.25e9 * 1e3:F1} ms per step at 10 Gb/s for large R ({count * 4 / 1.25e9 * 1e3:F1} ms for R = 2), plus latency."));
    }

    /// <summary>
    /// <c>scaling-worker mnist|titles threads steps batch [overlap|after bucket-bytes]</c>: one configuration; prints
    /// <c>result examples/s all-reduce-share wait-share</c> on rank 0.
    /// </summary>
    public static int Worker(string[] args)
    {
        var model = args[0];
        var threads = int.Parse(args[1], CultureInfo.InvariantCulture);
        var steps = int.Parse(args[2], CultureInfo.InvariantCulture);
        var batch = int.Parse(args[3], CultureInfo.InvariantCulture);
        var exchange = args.Length > 5
            ? new DataParallelOptions(args[4] == "overlap", long.Parse(args[5], CultureInfo.InvariantCulture))
            : DataParallelOptions.Default;
        torch.set_num_threads(threads);
        using var communicator = Communicator.LaunchedByMpirun ? Communicator.World() : null;
        var (rank, ranks) = (communicator?.Rank ?? 0, communicator?.Size ?? 1);
        var shard = DataParallel.Shard(Enumerable.Range(0, batch).ToArray(), rank, ranks);
        var timing = model switch
        {
            "mnist" => Mnist(communicator, exchange, shard, steps),
            "titles" => Titles(communicator, exchange, shard, batch, steps),
            _ => throw new ArgumentException($"Unknown model '{model}' (mnist or titles)."),
        };
        if (rank == 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result {steps * batch / timing.Seconds:R} {timing.AllReduceSeconds / timing.Seconds:R} {timing.WaitSeconds / timing.Seconds:R}"));
        return 0;
    }

    /// <summary>The MLP on one fixed batch of random pixels and digits (this rank's shard).</summary>
    static Timing Mnist(Communicator? communicator, DataParallelOptions exchange, int[] shard, int steps)
    {
        using var generator = new torch.Generator(1);
        var parameters = DigitClassifier.Init(generator, 256, 0.2, torch.CPU);
        var pipeline = Optimizer.FusedAdam(new Constant(1e-3), ScaleByAdam.Default);
        using var pixels = torch.rand([shard.Length, DigitClassifier.Pixels], generator: generator);
        using var digits = torch.randint(10, [shard.Length], dtype: torch.int64, generator: generator);
        var timing = Time(communicator, exchange, DigitClassifier.Model, pipeline, parameters, [new DigitBatch(pixels, digits)], 10, steps);
        Tree.Dispose(parameters);
        return timing;
    }

    /// <summary>
    /// The title model on four global batches of random pairs, cycled (the same pairs on every rank, from one seed; each
    /// rank collates its shard), with the pipeline of <c>titles train</c> (<see cref="TitleTraining"/>): clipping to norm
    /// 1, Adam, warm-up and cosine decay of the default peak rate, on the fused kernel.
    /// </summary>
    static Timing Titles(Communicator? communicator, DataParallelOptions exchange, int[] shard, int batch, int steps)
    {
        var random = new Random(7);
        int[] Ids(int min, int max) => Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => random.Next(4, TitleVocabulary)).ToArray();
        var batches = Enumerable.Range(0, 4)
            .Select(_ => Enumerable.Range(0, batch).Select(_ => new EncodedTitlePair(Ids(80, 100), Ids(15, 25))).ToArray())
            .Select(global => TitleBatches.Collate(shard.Select(i => global[i]).ToArray(), 1))
            .ToArray();
        var options = TitleModelOptions.Default;
        var training = TitleTrainingOptions.Default;
        using var generator = new torch.Generator(1);
        var parameters = TitleModel.Init(generator, TitleVocabulary, options, torch.CPU);
        var pipeline = new FusedAdam(new ClipByGlobalNorm(training.ClipNorm), ScaleByAdam.Default,
            new ScaleByLearningRate(new WarmupCosine(training.LearningRate, training.WarmupSteps, 1000, training.LearningRate / 10)), null);
        var timing = Time(communicator, exchange, TitleModelLoss.Of(options), pipeline, parameters, batches, 3, steps);
        Tree.Dispose(parameters);
        foreach (var b in batches) b.Dispose();
        return timing;
    }

    /// <summary><paramref name="warmup"/> untimed steps, then <paramref name="steps"/> timed ones (between barriers), cycling through <paramref name="batches"/>.</summary>
    static Timing Time<TParams, TBatch>(Communicator? communicator, DataParallelOptions exchange, ModelLoss<TParams, NoState, TBatch> model, IGradientTransformation pipeline, TParams parameters, IReadOnlyList<TBatch> batches, int warmup, int steps)
    {
        var state = TrainState.Init(parameters, NoState.Value, pipeline, 1);
        var index = 0;
        void Step()
        {
            var batch = batches[index++ % batches.Count];
            var next = communicator is null ? TrainingSteps.Step(model, pipeline, state, batch) : DataParallel.StepWith(communicator, model, pipeline, state, batch, exchange);
            TrainState.Dispose(state);
            state = next.State;
        }
        for (var i = 0; i < warmup; i++) Step();
        communicator?.Barrier();
        var before = communicator?.AllReduceTime ?? TimeSpan.Zero;
        var waitedBefore = communicator?.ReductionWaitTime ?? TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++) Step();
        communicator?.Barrier();
        var elapsed = clock.Elapsed.TotalSeconds;
        var reduce = ((communicator?.AllReduceTime ?? TimeSpan.Zero) - before).TotalSeconds;
        var waited = ((communicator?.ReductionWaitTime ?? TimeSpan.Zero) - waitedBefore).TotalSeconds;
        TrainState.Dispose(state);
        return new Timing(elapsed, reduce, waited);
    }

    static string Launch(string model, int ranks, int threads, int steps, int batch, bool overlap, int bucketBytes)
    {
        var self = typeof(DataParallelScaling).Assembly.Location;
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = ranks == 1 ? new ProcessStartInfo(host) : new ProcessStartInfo("mpirun");
        if (ranks > 1)
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", ranks.ToString(CultureInfo.InvariantCulture), host })
                start.ArgumentList.Add(a);
        foreach (var a in new[] { self, "scaling-worker", model, threads.ToString(CultureInfo.InvariantCulture), steps.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture), overlap ? "overlap" : "after", bucketBytes.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker.");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var at = output.IndexOf("result ", StringComparison.Ordinal);
        return (at < 0 ? null : output[at..].Split('\n')[0].Trim())
            ?? throw new InvalidOperationException($"The {model} {ranks} x {threads} worker printed no result (exit {process.ExitCode}):\n{output}");
    }
}
