using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Functional.Benchmarks;

/// <summary>
/// <c>mpi-kill-resume [--runs 20] [--epochs 6] [--hidden 64] [--gen0 0x10000] [--timeout 300] [--folder /tmp/...]</c>: the
/// reproduction of issue 31's native crash, kept as a benchmark. Each run trains <c>mnist</c> under
/// <c>mpirun -np 2</c> (checkpoints every 5 steps, 2 loader workers, 1 libtorch thread) with the aggressive garbage
/// collector (<c>DOTNET_GCgen0size</c>), kills rank 0 with SIGKILL after a random number of steps, then resumes the run
/// with 2 ranks to the end. Every job is bounded by the timeout. Prints each run's outcome and the counts: finished,
/// native crashes (a rank ended by SIGSEGV, SIGBUS, SIGABRT or SIGILL), hangs (the timeout), other failures; with the load
/// average before and after.
/// </summary>
public static class MpiKillResume
{
    /// <summary>Runs the rounds and prints the counts; 0 when no run crashed or hung.</summary>
    public static int Run(string[] args)
    {
        var options = new Arguments(args);
        var runs = options.Integer("runs", 20);
        var epochs = options.Integer("epochs", 6);
        var hidden = options.Integer("hidden", 64);
        var gen0 = options.Text("gen0", "0x10000");
        var timeout = TimeSpan.FromSeconds(options.Integer("timeout", 300));
        var root = options.Text("folder", Path.Combine(Path.GetTempPath(), "mpi-kill-resume-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        options.CheckAllUsed();
        var data = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../shared/data/mnist-t10k"));
        Console.WriteLine($"mpi-kill-resume: {runs} runs of mnist (hidden {hidden}, {epochs} epochs) under mpirun -np 2, DOTNET_GCgen0size={gen0}, rank 0 killed then resumed; load {Load()}");
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var random = new Random(31);
        for (var run = 0; run < runs; run++)
        {
            var folder = Path.Combine(root, run.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            var arguments = new[] { "mnist", "--data", data, "--out", folder, "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
                "--hidden", hidden.ToString(CultureInfo.InvariantCulture), "--checkpoint-every", "5", "--workers", "2", "--threads", "1" };
            var killAfter = random.Next(20, 141 * epochs - 20);
            var first = Job(arguments, gen0, timeout, killAfter, folder);
            var second = first is "killed" ? Job(arguments, gen0, timeout, -1, folder) : "not resumed";
            var outcome = first is "killed" ? second : "first run: " + first;
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run + 1,3}: rank 0 killed after step {killAfter}: {first}; resumed: {second}   (load {Load()})"));
        }
        Console.WriteLine("outcomes: " + string.Join(", ", counts.Select(pair => $"{pair.Key} {pair.Value}")));
        Console.WriteLine($"load after {Load()}");
        return counts.Keys.Any(key => key.Contains("crash", StringComparison.Ordinal) || key.Contains("hang", StringComparison.Ordinal)) ? 1 : 0;
    }

    /// <summary>One mpirun job; kills rank 0 once the log passes <paramref name="killAfter"/> (when non-negative). Returns the outcome.</summary>
    static string Job(string[] arguments, string gen0, TimeSpan timeout, long killAfter, string folder)
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
        while (!process.WaitForExit(50))
        {
            if (clock.Elapsed > timeout)
            {
                process.Kill(entireProcessTree: true);
                return $"hang (no end within {timeout.TotalSeconds:F0} s)";
            }
            if (!killed && killAfter >= 0 && LastStep(folder) >= killAfter && RankZero(process.Id) is { } pid)
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
