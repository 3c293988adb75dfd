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
/// [--rounds 1] [--bucket-bytes 4194304] [--configurations 1x1,1x2,after,callbacks,polling,thread,after-waker]</c>:
/// each model trained on the same global batch by 2 MPI ranks × 1 libtorch thread (with the gradient reduction after
/// backward — <c>after</c> —, and overlapped with it in buckets, progressed from backward's callbacks — <c>callbacks</c> —, from
/// them and a thread polling every millisecond — <c>polling</c> —, or by a communication thread in blocking all-reduces —
/// <c>thread</c>; and — a control for <c>polling</c> — the reduction after backward with a thread that only wakes every
/// millisecond and sleeps again, touching no MPI: <c>after-waker</c>), 1 process × 2 threads (<c>1x2</c>) and 1 process × 1 thread (<c>1x1</c>, the
/// baseline of the ratios), each in fresh processes (<c>mpirun</c> for the ranks), with the library's data-parallel step
/// (<see cref="DataParallel.StepWith{TParams, TModelState, TBatch}"/>).
/// With several rounds the configurations alternate (round 1: all of them, round 2: all again, ...) and the median of each
/// is reported. The models: the MNIST MLP (784-256-256-10, dropout, fused Adam) on
/// random pixels, and the title model (default options, vocabulary 5,000, the training command's clip + Adam + warm-up
/// cosine pipeline) on random character ids (articles of 80 to 100, titles of 15 to 25). Prints examples per second,
/// the ratios to 1 × 1, the share of a step spent in <c>MPI_Allreduce</c> (on any thread), the share the step waited for
/// its mean gradients after backward (<see cref="Communicator.ReductionWaitTime"/>, mean of the ranks) split in two with every
/// step's <see cref="Communicator.LastExchange"/> of every rank (one host, one clock): the wait for the slowest rank's
/// backward to end (imbalance) and the reduction still running after it (the exposed reduction), the load average before
/// and after each model, and the title model's parameter count with its all-reduce cost at 10 Gb/s.
/// </summary>
public static class DataParallelScaling
{
    const int TitleVocabulary = 5000;

    static readonly (string Key, string Name, int Ranks, int Threads, string Exchange)[] Configurations =
    [
        ("1x1", "1 rank x 1 thread", 1, 1, "after"), ("1x2", "1 rank x 2 threads", 1, 2, "after"), ("after", "2 ranks x 1, after", 2, 1, "after"),
        ("callbacks", "2 ranks x 1, callbacks", 2, 1, "callbacks"), ("polling", "2 ranks x 1, polling", 2, 1, "polling"),
        ("thread", "2 ranks x 1, thread", 2, 1, "thread"), ("after-waker", "2 ranks x 1, after+waker", 2, 1, "after-waker"),
    ];

    /// <summary>
    /// A worker's measurement (shares are means over the ranks): the timed steps' wall time, the part of it in MPI's
    /// all-reduce calls (any thread), the part the steps waited for their mean gradients after backward, and that wait
    /// split into waiting for the slowest rank's backward and the reduction after it.
    /// </summary>
    sealed record Timing(double Seconds, double AllReduceSeconds, double WaitSeconds, double ImbalanceSeconds, double ExposedSeconds, double CompletedInBackward, int Buckets);

    /// <summary>One configuration's result in one round, as shares of the step.</summary>
    sealed record Measured(double Rate, double AllReduceShare, double WaitShare, double ImbalanceShare, double ExposedShare, double CompletedInBackward, double Buckets);

    /// <summary>Runs the three configurations of each chosen model and prints one table per model.</summary>
    public static int Run(string[] args)
    {
        var options = new Arguments(args);
        var chosen = options.Text("model", "all");
        var mnist = (Steps: options.Integer("mnist-steps", 200), Batch: options.Integer("mnist-batch", 256));
        var titles = (Steps: options.Integer("titles-steps", 20), Batch: options.Integer("titles-batch", 64));
        var rounds = options.Integer("rounds", 1);
        var bucketBytes = options.Integer("bucket-bytes", (int)DataParallelOptions.Default.BucketBytes);
        var keys = options.Text("configurations", string.Join(",", Configurations.Select(c => c.Key))).Split(',');
        options.CheckAllUsed();
        if (keys.FirstOrDefault(key => Configurations.All(c => c.Key != key)) is { } unknown)
            throw new ArgumentException($"--configurations takes {string.Join(", ", Configurations.Select(c => c.Key))} (comma-separated), got '{unknown}'.");
        var chosenConfigurations = Configurations.Where(c => keys.Contains(c.Key)).ToArray();
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
            Table(title, model, steps, batch, rounds, bucketBytes, chosenConfigurations);
        }
        if (models.Contains("titles")) PrintTitleAllReduceCost();
        return 0;
    }

    static void Table(string title, string model, int steps, int batch, int rounds, int bucketBytes, (string Key, string Name, int Ranks, int Threads, string Exchange)[] configurations)
    {
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        var runs = configurations.Select(_ => new List<Measured>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            Console.Error.WriteLine($"round {round + 1}, load average {File.ReadAllText("/proc/loadavg").Trim()}");
            for (var c = 0; c < configurations.Length; c++)
            {
                var (_, name, ranks, threads, exchange) = configurations[c];
                var parts = Launch(model, ranks, threads, steps, batch, exchange, bucketBytes).Split(' ').Skip(1).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                runs[c].Add(new Measured(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name,-24} {parts[0],9:F1} examples/s, waited {parts[2]:P1} = slower rank {parts[3]:P1} + reduction {parts[4]:P1}; {parts[5]:F2} of {parts[6]} buckets reduced within backward"));
            }
        }
        var loadAfter = File.ReadAllText("/proc/loadavg").Trim();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{title}, global batch {batch}, {steps} timed steps each, {rounds} alternating round(s), median shown, buckets of {bucketBytes:N0} bytes ({Environment.ProcessorCount} cores)"));
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        var baseline = Median(runs[0].Select(r => r.Rate));
        var after = Array.FindIndex(configurations, c => c.Key == "after");
        for (var c = 0; c < configurations.Length; c++)
        {
            var rate = Median(runs[c].Select(r => r.Rate));
            var each = string.Join(" ", runs[c].Select(r => r.Rate.ToString("F1", CultureInfo.InvariantCulture)));
            // Ratios to the reduction after backward, round by round (like with like on a shared machine), then the median.
            var versusAfter = after < 0 || configurations[c].Ranks == 1 ? "" : string.Create(CultureInfo.InvariantCulture,
                $"   x{Median(runs[c].Zip(runs[after], (mine, theirs) => mine.Rate / theirs.Rate)):F3} vs after (per round)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {configurations[c].Name,-24} {rate,9:F1} examples/s   x{rate / baseline:F2} vs {configurations[0].Key}{versusAfter}   MPI all-reduce calls {Median(runs[c].Select(r => r.AllReduceShare)):P1}, waited after backward {Median(runs[c].Select(r => r.WaitShare)):P1} = for the slower rank {Median(runs[c].Select(r => r.ImbalanceShare)):P1} + exposed reduction {Median(runs[c].Select(r => r.ExposedShare)):P1}, {Median(runs[c].Select(r => r.CompletedInBackward)):F2} of {runs[c][0].Buckets} buckets reduced within backward   (rounds: {each})"));
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
    /// <c>scaling-worker mnist|titles threads steps batch [after|after-waker|callbacks|polling|thread bucket-bytes]</c> (<c>overlap</c> is
    /// <c>thread</c>): one configuration; prints <c>result examples/s all-reduce-share wait-share imbalance-share
    /// exposed-share buckets-reduced-within-backward buckets</c> on rank 0 (shares of the timed steps' wall time, means over
    /// the ranks).
    /// </summary>
    public static int Worker(string[] args)
    {
        var model = args[0];
        var threads = int.Parse(args[1], CultureInfo.InvariantCulture);
        var steps = int.Parse(args[2], CultureInfo.InvariantCulture);
        var batch = int.Parse(args[3], CultureInfo.InvariantCulture);
        var exchange = args.Length > 5
            ? new DataParallelOptions(args[4] is not ("after" or "after-waker"), long.Parse(args[5], CultureInfo.InvariantCulture))
            {
                Progress = args[4] switch
                {
                    "callbacks" => OverlapProgress.BackwardCallbacks,
                    "polling" => OverlapProgress.PollingThread,
                    "thread" or "overlap" or "after" or "after-waker" => OverlapProgress.CommunicationThread,
                    _ => throw new ArgumentException($"The exchange must be after, after-waker, callbacks, polling or thread, got '{args[4]}'."),
                },
            }
            : DataParallelOptions.Default;
        torch.set_num_threads(threads);
        using var stopWaker = new CancellationTokenSource();
        if (args.Length > 5 && args[4] == "after-waker")
            new Thread(() => { while (!stopWaker.IsCancellationRequested) Thread.Sleep(1); }) { IsBackground = true, Name = "waker" }.Start();
        using var communicator = Communicator.LaunchedByMpirun ? Communicator.World() : null;
        var (rank, ranks) = (communicator?.Rank ?? 0, communicator?.Size ?? 1);
        var shard = DataParallel.Shard(Enumerable.Range(0, batch).ToArray(), rank, ranks);
        var timing = model switch
        {
            "mnist" => Mnist(communicator, exchange, shard, steps),
            "titles" => Titles(communicator, exchange, shard, batch, steps),
            _ => throw new ArgumentException($"Unknown model '{model}' (mnist or titles)."),
        };
        if (rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"result {steps * batch / timing.Seconds:R} {timing.AllReduceSeconds / timing.Seconds:R} {timing.WaitSeconds / timing.Seconds:R} {timing.ImbalanceSeconds / timing.Seconds:R} {timing.ExposedSeconds / timing.Seconds:R} {timing.CompletedInBackward:R} {timing.Buckets}"));
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
        var exchanges = new List<ExchangeTiming>();
        void Step()
        {
            var batch = batches[index++ % batches.Count];
            var next = communicator is null ? TrainingSteps.Step(model, pipeline, state, batch) : DataParallel.StepWith(communicator, model, pipeline, state, batch, exchange);
            TrainState.Dispose(state);
            state = next.State;
            if (communicator?.LastExchange is { } timing) exchanges.Add(timing);
        }
        for (var i = 0; i < warmup; i++) Step();
        exchanges.Clear();
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
        if (communicator is null) return new Timing(elapsed, reduce, waited, 0, 0, 0, 0);
        var (imbalance, exposed) = SplitWaits(communicator, exchanges);
        var ranks = communicator.Size;
        var completed = exchanges.Count == 0 ? 0 : exchanges.Average(e => (double)e.CompletedInBackward);
        return new Timing(elapsed, Mean(communicator, reduce), Mean(communicator, waited), imbalance / ranks, exposed / ranks, Mean(communicator, completed), exchanges.FirstOrDefault()?.Buckets ?? 0);
    }

    /// <summary>The mean over the ranks of <paramref name="seconds"/>.</summary>
    static double Mean(Communicator communicator, double seconds)
    {
        Span<double> value = [seconds];
        communicator.AllReduceSum(value);
        return value[0] / communicator.Size;
    }

    /// <summary>
    /// The steps' waits after backward summed over the ranks and split at each step's latest end of backward (every rank's
    /// moments gathered; one host, one monotonic clock): before it, waiting for a slower rank; after it, the reduction.
    /// </summary>
    static (double Imbalance, double Exposed) SplitWaits(Communicator communicator, IReadOnlyList<ExchangeTiming> exchanges)
    {
        var mine = exchanges.SelectMany(e => new[] { e.BackwardEnded, e.MeansReady }).ToArray();
        var all = new long[mine.Length * communicator.Size];
        communicator.AllGather(System.Runtime.InteropServices.MemoryMarshal.AsBytes(mine.AsSpan()), System.Runtime.InteropServices.MemoryMarshal.AsBytes(all.AsSpan()));
        double imbalance = 0, exposed = 0;
        for (var step = 0; step < exchanges.Count; step++)
        {
            var lastEnded = Enumerable.Range(0, communicator.Size).Max(r => all[r * mine.Length + 2 * step]);
            for (var r = 0; r < communicator.Size; r++)
            {
                var (ended, ready) = (all[r * mine.Length + 2 * step], all[r * mine.Length + 2 * step + 1]);
                imbalance += Stopwatch.GetElapsedTime(ended, Math.Min(lastEnded, ready)).TotalSeconds;
                exposed += Math.Max(0, Stopwatch.GetElapsedTime(lastEnded, ready).TotalSeconds);
            }
        }
        return (imbalance, exposed);
    }

    static string Launch(string model, int ranks, int threads, int steps, int batch, string exchange, int bucketBytes)
    {
        var self = typeof(DataParallelScaling).Assembly.Location;
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = ranks == 1 ? new ProcessStartInfo(host) : new ProcessStartInfo("mpirun");
        if (ranks > 1)
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", ranks.ToString(CultureInfo.InvariantCulture), host })
                start.ArgumentList.Add(a);
        foreach (var a in new[] { self, "scaling-worker", model, threads.ToString(CultureInfo.InvariantCulture), steps.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture), exchange, bucketBytes.ToString(CultureInfo.InvariantCulture) })
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
