using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>Starts the test host (<c>Functional.Distributed.TestHost</c>), or the command line, under <c>mpirun</c> as root-safe, oversubscribed job.</summary>
public static class MpiJob
{
    /// <summary>Whether <c>mpirun</c> is on the PATH.</summary>
    public static bool Available { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator).Any(folder => File.Exists(Path.Combine(folder, "mpirun")));

    /// <summary>The test host's assembly.</summary>
    public static string TestHost => Path.Combine(AppContext.BaseDirectory, "Functional.Distributed.TestHost.dll");

    /// <summary>The command line's assembly.</summary>
    public static string CommandLine => Path.Combine(AppContext.BaseDirectory, "Functional.Cli.dll");

    /// <summary>What a job did.</summary>
    public sealed record Outcome(int ExitCode, string Output, DateTimeOffset Ended, TimeSpan Took);

    /// <summary>Runs the host with <paramref name="ranks"/> processes and <paramref name="arguments"/>; fails the test after <paramref name="timeout"/>.</summary>
    public static Outcome Run(int ranks, TimeSpan timeout, params string[] arguments) => Run(ranks, timeout, [], TestHost, arguments);

    /// <summary>
    /// Runs <paramref name="program"/> (a .NET assembly) with <paramref name="ranks"/> processes, <paramref name="mpiOptions"/>
    /// given to <c>mpirun</c> and <paramref name="arguments"/> to the program; fails the test after <paramref name="timeout"/>
    /// (killing the job), so a job that hangs fails instead of hanging the test run.
    /// </summary>
    public static Outcome Run(int ranks, TimeSpan timeout, IEnumerable<string> mpiOptions, string program, params string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        using var job = Start(ranks, mpiOptions, program, arguments);
        return Wait(job, timeout, clock, $"mpirun -np {ranks} {Path.GetFileName(program)} {string.Join(' ', arguments)}");
    }

    /// <summary>A started job (output being collected); finish it with <see cref="Wait"/>.</summary>
    public sealed class Job(Process process, Task<string> output, Task<string> errors) : IDisposable
    {
        /// <summary>The <c>mpirun</c> process.</summary>
        public Process Process { get; } = process;

        internal string Output => output.Result + errors.Result;

        /// <inheritdoc />
        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>Starts <paramref name="program"/> under <c>mpirun</c> (see <see cref="Run(int, TimeSpan, IEnumerable{string}, string, string[])"/>) without waiting.</summary>
    public static Job Start(int ranks, IEnumerable<string> mpiOptions, string program, params string[] arguments)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--allow-run-as-root", "--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none" }.Concat(mpiOptions)
                     .Concat(["-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), host, program]).Concat(arguments))
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start mpirun.");
        return new Job(process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
    }

    /// <summary>Waits for <paramref name="job"/>; fails the test (killing the job) when it has not ended within <paramref name="timeout"/>.</summary>
    public static Outcome Wait(Job job, TimeSpan timeout, Stopwatch clock, string description)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!job.Process.WaitForExit(timeout))
        {
            job.Process.Kill(entireProcessTree: true);
            Assert.Fail($"{description} did not end within {timeout.TotalSeconds} s.");
        }
        job.Process.WaitForExit();
        return new Outcome(job.Process.ExitCode, job.Output, DateTimeOffset.UtcNow, clock.Elapsed);
    }

    /// <summary>Sends SIGTERM to process <paramref name="pid"/>.</summary>
    public static void Terminate(int pid)
    {
        if (kill(pid, 15) != 0) throw new InvalidOperationException($"kill({pid}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}

/// <summary>
/// A fact that needs OpenMPI: skipped, with the reason, when <c>mpirun</c> is missing outside CI; under CI
/// (<c>CI=true</c>) it always runs, so a CI without OpenMPI fails instead of passing silently.
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when OpenMPI is absent and this is not CI.</summary>
    public MpiFactAttribute()
    {
        if (MpiRequirement.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs OpenMPI, skipped as <see cref="MpiFactAttribute"/> is.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets the skip reason when OpenMPI is absent and this is not CI.</summary>
    public MpiTheoryAttribute()
    {
        if (MpiRequirement.SkipReason is { } reason) Skip = reason;
    }
}

static class MpiRequirement
{
    public static string? SkipReason =>
        !MpiJob.Available && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? "OpenMPI is not installed (no mpirun on PATH): apt-get install openmpi-bin libopenmpi-dev. Under CI=true this test runs and fails instead."
            : null;
}
