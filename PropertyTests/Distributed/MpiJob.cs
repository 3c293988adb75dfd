using System.Diagnostics;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>Starts the test host (<c>Functional.Distributed.TestHost</c>) under <c>mpirun</c> as root-safe, oversubscribed job.</summary>
public static class MpiJob
{
    /// <summary>Whether <c>mpirun</c> is on the PATH.</summary>
    public static bool Available { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator).Any(folder => File.Exists(Path.Combine(folder, "mpirun")));

    /// <summary>What a job did.</summary>
    public sealed record Outcome(int ExitCode, string Output, DateTimeOffset Ended);

    /// <summary>Runs the host with <paramref name="ranks"/> processes and <paramref name="arguments"/>; fails the test after <paramref name="timeout"/>.</summary>
    public static Outcome Run(int ranks, TimeSpan timeout, params string[] arguments)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--allow-run-as-root", "--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     host, Path.Combine(AppContext.BaseDirectory, "Functional.Distributed.TestHost.dll") }.Concat(arguments))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start mpirun.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun -np {ranks} {string.Join(' ', arguments)} did not end within {timeout.TotalSeconds} s.");
        }
        var ended = DateTimeOffset.UtcNow;
        return new Outcome(process.ExitCode, output.Result + errors.Result, ended);
    }
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
        if (!MpiJob.Available && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Skip = "OpenMPI is not installed (no mpirun on PATH): apt-get install openmpi-bin libopenmpi-dev. Under CI=true this test runs and fails instead.";
    }
}
