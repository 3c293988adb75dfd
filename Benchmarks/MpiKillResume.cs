using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Functional.Benchmarks;

/// <summary>
/// <c>mpi-kill-resume [--runs 200] [--epochs 3] [--hidden 32] [--gen0 0x10000] [--stall 240] [--timeout 3600] [--seed 31] [--folder /tmp/...]</c>:
/// the reproduction of issue 31's native crash, kept as a benchmark, and the check of its judged line ("two hundred
/// 2-rank runs with kills and resumes: no native crash, no hang"). Each run trains <c>mnist</c> under <c>mpirun -np 2</c>
/// (checkpoints every 5 steps, 2 loader workers, 1 libtorch thread) with the aggressive garbage collector
/// (<c>DOTNET_GCgen0size</c>), kills rank 0 with SIGKILL after a random number of steps, then resumes the run with 2 ranks
/// to the end. A job that logs no new step for <c>--stall</c> seconds while its processes live is a hang (a busy machine
/// slows a job but does not stop its steps); <c>--timeout</c> bounds every job. Prints each run's outcome and the counts of
/// the four outcomes: finished, native crash (a rank ended by SIGSEGV, SIGBUS, SIGABRT or SIGILL), hang, other failure;
/// with the load average before and after. Set <c>ulimit -c unlimited</c> and a <c>kernel.core_pattern</c> first to keep
/// the core of a crash.
/// </summary>
public static class MpiKillResume
{
    /// <summary>Runs the rounds and prints the counts; 0 when no run crashed or hung.</summary>
    public static int Run(string[] args)
    {
        var options = new Arguments(args);
        var runs = options.Integer("runs", 200);
        var epochs = options.Integer("epochs", 3);
        var hidden = options.Integer("hidden", 32);
        var gen0 = options.Text("gen0", "0x10000");
        var stall = TimeSpan.FromSeconds(options.Integer("stall", 240));
        var timeout = TimeSpan.FromSeconds(options.Integer("timeout", 3600));
        var seed = options.Integer("seed", 31);
        var root = options.Text("folder", Path.Combine(Path.GetTempPath(), "mpi-kill-resume-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        options.CheckAllUsed();
        var data = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../shared/data/mnist-t10k"));
        Console.WriteLine($"mpi-kill-resume: {runs} runs of mnist (hidden {hidden}, {epochs} epochs) under mpirun -np 2, DOTNET_GCgen0size={gen0}, rank 0 killed then resumed; load {Load()}");
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var kinds = new[] { "finished", "native crash", "hang", "other" }.ToDictionary(kind => kind, _ => 0, StringComparer.Ordinal);
        var random = new Random(seed);
        for (var run = 0; run < runs; run++)
        {
            var folder = Path.Combine(root, run.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            var arguments = new[] { "mnist", "--data", data, "--out", folder, "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
                "--hidden", hidden.ToString(CultureInfo.InvariantCulture), "--checkpoint-every", "5", "--workers", "2", "--threads", "1" };
            var killAfter = random.Next(20, 141 * epochs - 20);
            var first = Job(arguments, gen0, stall, timeout, killAfter, folder);
            var second = first is "killed" ? Job(arguments, gen0, stall, timeout, -1, folder) : "not resumed";
            var outcome = first is "killed" ? second : "first run: " + first;
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            kinds[Kind(outcome)]++;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run + 1,3}: rank 0 killed after step {killAfter}: {first}; resumed: {second}   (load {Load()})"));
        }
        Console.WriteLine("outcomes: " + string.Join(", ", counts.Select(pair => $"{pair.Key} {pair.Value}")));
        Console.WriteLine($"counts: {runs} runs: " + string.Join(", ", kinds.Select(pair => $"{pair.Key} {pair.Value}")));
        Console.WriteLine($"load after {Load()}");
        return kinds["native crash"] + kinds["hang"] > 0 ? 1 : 0;
    }

    /// <summary>Which of the four counted outcomes a run's outcome text is.</summary>
    static string Kind(string outcome) =>
        outcome == "finished" ? "finished"
        : outcome.Contains("native crash", StringComparison.Ordinal) ? "native crash"
        : outcome.Contains("hang", StringComparison.Ordinal) ? "hang"
        : "other";

    /// <summary>
    /// One mpirun job; kills rank 0 once the log passes <paramref name="killAfter"/> (when non-negative). A hang is no new
    /// step logged for <paramref name="stall"/>, or the job outliving <paramref name="timeout"/>. Returns the outcome.
    /// </summary>
    static string Job(string[] arguments, string gen0, TimeSpan stall, TimeSpan timeout, long killAfter, string folder)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--allow-run-as-root", "--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none", "-x", "DOTNET_GCgen0size", "-np", "2",
                     host, Path.Combine(AppContext.BaseDirectory, "Functional.Cli.dll") }.Concat(arguments))
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_GCgen0size"] = gen0;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start mpirun.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        var killed = false;
        var (lastStep, progressed) = (LastStep(folder), Stopwatch.StartNew());
        while (!process.WaitForExit(250))
        {
            var step = LastStep(folder);
            if (step != lastStep) (lastStep, progressed) = (step, Stopwatch.StartNew());
            if (clock.Elapsed > timeout || progressed.Elapsed > stall)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return clock.Elapsed > timeout
                    ? $"hang (no end within {timeout.TotalSeconds:F0} s, last step {lastStep})"
                    : $"hang (no step after {lastStep} for {stall.TotalSeconds:F0} s)";
            }
            if (!killed && killAfter >= 0 && step >= killAfter && RankZero(process.Id) is { } pid)
            {
                _ = kill(pid, 9);
                killed = true;
            }
        }
        var text = output.Result + errors.Result;
        foreach (var signal in new[] { "signal 11", "signal 7", "signal 6", "signal 4", "Segmentation fault" })
            if (text.Contains(signal, StringComparison.Ordinal)) return $"native crash ({signal})";
        if (killed) return "killed";
        return process.ExitCode == 0 ? "finished" : $"failed (exit {process.ExitCode}: {text.Split('\n').LastOrDefault(line => line.Contains("error", StringComparison.Ordinal))?.Trim()})";
    }

    static long LastStep(string folder)
    {
        try
        {
            var log = Path.Combine(folder, "metrics.jsonl");
            if (!File.Exists(log)) return 0;
            var last = File.ReadLines(log).LastOrDefault(line => line.Contains("\"train\"", StringComparison.Ordinal));
            if (last is null) return 0;
            var at = last.IndexOf("\"step\":", StringComparison.Ordinal) + 7;
            var end = last.IndexOf(',', at);
            return long.Parse(last[at..end], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The pid of rank 0 among mpirun's children (its environment names the rank), or null while it has not started.</summary>
    static int? RankZero(int mpirun)
    {
        try
        {
            foreach (var child in File.ReadAllText($"/proc/{mpirun}/task/{mpirun}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (File.ReadAllText($"/proc/{child}/environ").Split('\0').Contains("OMPI_COMM_WORLD_RANK=0"))
                    return int.Parse(child, CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    static string Load() => File.ReadAllText("/proc/loadavg").Trim();

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
