using System.Diagnostics;
using Functional.Cli;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// The command line's libtorch thread defaults (<see cref="LibtorchThreads"/>), seen from a fresh process: libgomp
/// prints the wait it loaded with (<c>OMP_DISPLAY_ENV=VERBOSE</c>), and the hidden <c>libtorch-threads</c> command
/// prints the thread count and the native environment after start-up.
/// </summary>
public sealed class LibtorchThreadsTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void WithNoChoiceOfTheUserIdleWorkersSpinBrieflyFromTheMomentLibtorchLoadsAndThreadsAsksWin()
    {
        var run = Cli([], "libtorch-threads", "--threads", "3");
        // libgomp prints the spin count it read at its load (300,000 when unset).
        Assert.True(run.Error.Contains("GOMP_SPINCOUNT = '10000'", StringComparison.Ordinal), run.ToString());
        Assert.Contains("GOMP_SPINCOUNT: 10000", run.Output, StringComparison.Ordinal);
        Assert.Contains("OMP_WAIT_POLICY: (unset)", run.Output, StringComparison.Ordinal);
        Assert.Contains("libtorch threads: 3", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void AWaitPolicyTheUserSetIsKeptAndTheThreadCountStaysLibtorchs()
    {
        var run = Cli([("OMP_WAIT_POLICY", "ACTIVE")], "libtorch-threads");
        Assert.True(run.Error.Contains("OMP_WAIT_POLICY = 'ACTIVE'", StringComparison.Ordinal), run.ToString());
        Assert.Contains("OMP_WAIT_POLICY: ACTIVE", run.Output, StringComparison.Ordinal);
        Assert.Contains("GOMP_SPINCOUNT: (unset)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("libtorch threads: 3", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ASpinCountTheUserSetIsKeptWithoutAWaitPolicyAdded()
    {
        var run = Cli([("GOMP_SPINCOUNT", "12345")], "libtorch-threads", "--threads", "1");
        Assert.True(run.Error.Contains("GOMP_SPINCOUNT = '12345'", StringComparison.Ordinal), run.ToString());
        Assert.Contains("OMP_WAIT_POLICY: (unset)", run.Output, StringComparison.Ordinal);
        Assert.Contains("libtorch threads: 1", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheThreadCountForALoadLeavesTheLoadedCoresAndKeepsAtLeastOne()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 500; trial++)
        {
            var cores = random.Next(1, 65);
            var load = random.NextDouble() * cores * 3;
            var more = load + random.NextDouble() * cores;
            var threads = LibtorchThreads.ForLoad(cores, load);
            Assert.InRange(threads, 1, cores);
            Assert.True(LibtorchThreads.ForLoad(cores, more) <= threads, $"{cores} cores: load {more} gave more threads than load {load}");
            Assert.Equal(cores, LibtorchThreads.ForLoad(cores, random.NextDouble() * 1.49));
            Assert.Equal(1, LibtorchThreads.ForLoad(cores, cores - 0.5 + random.NextDouble() * cores));
            Assert.Equal(Math.Max(1, cores - (int)Math.Floor(Math.Max(0, load - 0.5))), threads);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => LibtorchThreads.ForLoad(2, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => LibtorchThreads.ForLoad(0, 1));
    }

    [Fact]
    public void TheLoadAverageIsReadFromItsFirstFieldAndAnythingElseIsNone()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loadavg-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(path, "3.70 2.00 1.00 1/100 123\n");
            Assert.Equal(3.70, LibtorchThreads.ReadLoadAverage(path));
            foreach (var bad in new[] { "", "busy 1 1", "-1 0 0", "NaN 1 1" })
            {
                File.WriteAllText(path, bad);
                Assert.Null(LibtorchThreads.ReadLoadAverage(path));
            }
        }
        finally { File.Delete(path); }
        Assert.Null(LibtorchThreads.ReadLoadAverage(path));
    }

    [Fact]
    public void WithoutAThreadCountOfTheUserTheLoadAtStartChoosesIt()
    {
        var before = LibtorchThreads.ReadLoadAverage("/proc/loadavg") ?? throw new InvalidOperationException("no /proc/loadavg");
        var run = Cli([], "libtorch-threads");
        var after = LibtorchThreads.ReadLoadAverage("/proc/loadavg") ?? throw new InvalidOperationException("no /proc/loadavg");
        var expected = new[] { before, after }.Select(load => LibtorchThreads.ForLoad(Environment.ProcessorCount, load)).Distinct().ToArray();
        Assert.True(expected.Any(threads => run.Output.Contains($"libtorch threads: {threads}\nchosen for the load at start: {threads}", StringComparison.Ordinal)),
            $"expected one of [{string.Join(", ", expected)}] for loads {before} and {after}: {run}");
    }

    [Fact]
    public void AThreadCountTheUserSetIsKept()
    {
        var run = Cli([("OMP_NUM_THREADS", "2")], "libtorch-threads");
        Assert.Contains("libtorch threads: 2", run.Output, StringComparison.Ordinal);
        Assert.Contains("chosen for the load at start: none", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheThreadsHelpSaysWhatTheDefaultDoes()
    {
        var run = CommandLineRun.Of(["titles", "train", "--help"]);
        Assert.Contains("GOMP_SPINCOUNT=10000", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Runs the command line's assembly in a fresh process with the OpenMP variables cleared, then <paramref name="environment"/> set.</summary>
    static CommandLineRun Cli((string Name, string Value)[] environment, params string[] arguments)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Functional.Cli.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "OMP_DISPLAY_ENV" }) start.Environment.Remove(name);
        start.Environment["OMP_DISPLAY_ENV"] = "VERBOSE";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the command line.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{string.Join(' ', arguments)} did not end within {Timeout}.");
        }
        var run = new CommandLineRun(process.ExitCode, output.Result, error.Result);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
