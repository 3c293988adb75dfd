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
/// <c>scaling [steps] [global batch]</c>: the MNIST MLP (784-256-256-10, dropout, fused Adam) trained on the same global
/// batch by 2 MPI ranks × 1 libtorch thread, 1 process × 2 threads and 1 process × 1 thread, each in fresh processes
/// (<c>mpirun</c> for the ranks). Prints examples per second, the ratios to 1 × 1, the share of a step spent in the
/// all-reduce, the load average before and after, and the title model's parameter count with its all-reduce cost.
/// </summary>
public static class DataParallelScaling
{
    /// <summary>Runs the three configurations and prints the table.</summary>
    public static int Run(string[] args)
    {
        var steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256;
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        var results = new List<(string Name, double ExamplesPerSecond, double AllReduceShare)>();
        foreach (var (name, ranks, threads) in new[] { ("1 rank x 1 thread", 1, 1), ("1 rank x 2 threads", 1, 2), ("2 ranks x 1 thread", 2, 1) })
        {
            var line = Launch(ranks, threads, steps, batch);
            var parts = line.Split(' ');
            results.Add((name, double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture)));
        }
        var loadAfter = File.ReadAllText("/proc/loadavg").Trim();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MNIST MLP 784-256-256-10, global batch {batch}, {steps} timed steps each ({Environment.ProcessorCount} cores)"));
        foreach (var (name, rate, share) in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-20} {rate,9:F0} examples/s   x{rate / results[0].ExamplesPerSecond:F2} vs 1x1   all-reduce {share:P1} of the step"));
        Console.WriteLine($"  load average before: {loadBefore}");
        Console.WriteLine($"  load average after:  {loadAfter}");

        using var generator = new torch.Generator(1);
        var titleParameters = TitleModel.Init(generator, 5000, TitleModelOptions.Default, torch.CPU);
        var count = Tree.Leaves(titleParameters).Sum(t => t.numel());
        Tree.Dispose(titleParameters);
        // A ring all-reduce sends and receives 2 (R - 1) / R of the buffer per rank; at 10 Gb/s, 1.25 GB/s.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"title model (vocabulary 5000, default options): {count:N0} parameters = {count * 4 / 1e6:F1} MB of float32 gradients; a ring all-reduce moves 2(R-1)/R of it per rank: {2 * count * 4 / 1.25e9 * 1e3:F1} ms per step at 10 Gb/s for large R ({count * 4 / 1.25e9 * 1e3:F1} ms for R = 2), plus latency."));
        return 0;
    }

    /// <summary><c>scaling-worker threads steps batch</c>: one configuration; prints <c>result examples/s all-reduce-share</c> on rank 0.</summary>
    public static int Worker(string[] args)
    {
        var threads = int.Parse(args[0], CultureInfo.InvariantCulture);
        var steps = int.Parse(args[1], CultureInfo.InvariantCulture);
        var batch = int.Parse(args[2], CultureInfo.InvariantCulture);
        torch.set_num_threads(threads);
        using var communicator = Communicator.LaunchedByMpirun ? Communicator.World() : null;
        var (rank, ranks) = (communicator?.Rank ?? 0, communicator?.Size ?? 1);
        using var generator = new torch.Generator(1);
        var parameters = DigitClassifier.Init(generator, 256, 0.2, torch.CPU);
        var pipeline = Optimizer.FusedAdam(new Constant(1e-3), ScaleByAdam.Default);
        var state = TrainState.Init(parameters, pipeline, 1);
        var shard = DataParallel.Shard(Enumerable.Range(0, batch).ToArray(), rank, ranks);
        using var pixels = torch.rand([shard.Length, DigitClassifier.Pixels], generator: generator);
        using var digits = torch.randint(10, [shard.Length], dtype: torch.int64, generator: generator);
        var data = new DigitBatch(pixels, digits);
        StepResult<DigitClassifier> Step(TrainState<DigitClassifier> s) =>
            communicator is null ? TrainingSteps.Step(DigitClassifier.Model, pipeline, s, data) : DataParallel.Step(communicator, DigitClassifier.Model, pipeline, s, data);
        for (var i = 0; i < 10; i++) state = Replace(state, Step(state).State);
        communicator?.Barrier();
        var before = communicator?.AllReduceTime ?? TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++) state = Replace(state, Step(state).State);
        communicator?.Barrier();
        var elapsed = clock.Elapsed.TotalSeconds;
        var reduce = ((communicator?.AllReduceTime ?? TimeSpan.Zero) - before).TotalSeconds;
        if (rank == 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result {steps * batch / elapsed:R} {reduce / elapsed:R}"));
        TrainState.Dispose(state);
        Tree.Dispose(parameters);
        return 0;
    }

    static TrainState<DigitClassifier> Replace(TrainState<DigitClassifier> old, TrainState<DigitClassifier> next)
    {
        TrainState.Dispose(old);
        return next;
    }

    static string Launch(int ranks, int threads, int steps, int batch)
    {
        var self = typeof(DataParallelScaling).Assembly.Location;
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = ranks == 1 ? new ProcessStartInfo(host) : new ProcessStartInfo("mpirun");
        if (ranks > 1)
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", ranks.ToString(CultureInfo.InvariantCulture), host })
                start.ArgumentList.Add(a);
        foreach (var a in new[] { self, "scaling-worker", threads.ToString(CultureInfo.InvariantCulture), steps.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker.");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var at = output.IndexOf("result ", StringComparison.Ordinal);
        return (at < 0 ? null : output[at..].Split('\n')[0].Trim())
            ?? throw new InvalidOperationException($"The {ranks} x {threads} worker printed no result (exit {process.ExitCode}):\n{output}");
    }
}
