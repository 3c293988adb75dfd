using Functional.Core;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Functional.Models.Digits;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Distributed;

/// <summary>
/// Two ranks on two "hosts" (network namespaces joined by a veth pair, <see cref="TwoHosts"/>) over TCP: the same
/// checkpoint as the same job on one host; a cut link and a killed rank each end every rank within
/// <see cref="Bound"/> with an error naming the host or rank, and the newest checkpoint in the folder loads.
/// </summary>
public sealed class TwoHostsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    const int Hidden = 32, StepsPerEpoch = 141;

    // A job that never ends is killed (with what runs in the namespaces) and fails the test after this.
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);

    // How long after a fault every rank must have ended.
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [TwoHostsFact]
    public void Two_ranks_on_two_hosts_give_the_same_checkpoint_as_two_ranks_on_one_host_bitwise()
    {
        var oneHost = TemporaryFolder();
        var twoHosts = TemporaryFolder();
        var local = MpiJob.Run(2, Timeout, [], MpiJob.CommandLine, Arguments(oneHost, epochs: 1));
        Assert.True(local.ExitCode == 0, $"The 2-rank job on one host failed ({local.ExitCode}):\n{local.Output}");

        using var hosts = TwoHosts.Create();
        using (var job = hosts.Start(MpiJob.CommandLine, Arguments(twoHosts, epochs: 1)))
        {
            var remote = MpiJob.Wait(job, Timeout, Stopwatch.StartNew(), "the 2-rank job on two hosts");
            output.WriteLine($"two hosts: exit {remote.ExitCode} after {remote.Took.TotalSeconds:F1} s; one host: {local.Took.TotalSeconds:F1} s\n{remote.Output}");
            Assert.True(remote.ExitCode == 0, $"The 2-rank job on two hosts failed ({remote.ExitCode}):\n{remote.Output}");
        }

        var expected = Load(oneHost, StepsPerEpoch);
        var actual = Load(twoHosts, StepsPerEpoch);
        Assert.True(SameState(expected, actual), "The job on two hosts ended in a different state from the same job on one host.");
        // The tensors as written, compared as cmp does: the final checkpoint's safetensors file.
        var file = Directory.GetFiles(Path.Combine(oneHost, "checkpoints"), "step-*.safetensors")
            .Single(path => long.Parse(Path.GetFileNameWithoutExtension(path)["step-".Length..], CultureInfo.InvariantCulture) == StepsPerEpoch);
        var twin = Path.Combine(twoHosts, "checkpoints", Path.GetFileName(file));
        Assert.True(File.ReadAllBytes(file).SequenceEqual(File.ReadAllBytes(twin)), $"{twin} differs from {file} byte for byte.");
        TrainState.Dispose(expected);
        TrainState.Dispose(actual);
    }

    [TwoHostsFact]
    public void A_cut_link_ends_both_ranks_within_the_bound_naming_the_lost_host_and_the_newest_checkpoint_loads()
    {
        var folder = TemporaryFolder();
        using var hosts = TwoHosts.Create();
        var (outcome, took) = Fault(hosts, folder, hosts.CutLink);
        output.WriteLine($"cut link: exit {outcome.ExitCode}, every rank ended {took.TotalSeconds:F1} s after the cut\n{outcome.Output}");
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("ORTE has lost communication with a remote daemon", outcome.Output, StringComparison.Ordinal);
        Assert.Contains($"on node {TwoHosts.AddressB}", outcome.Output, StringComparison.Ordinal);
        AssertNewestLoads(folder);
    }

    [TwoHostsFact]
    public void A_killed_rank_on_the_other_host_ends_both_ranks_within_the_bound_naming_it_and_the_newest_checkpoint_loads()
    {
        var folder = TemporaryFolder();
        using var hosts = TwoHosts.Create();
        void KillRankOnB()
        {
            var rank = TwoHosts.Processes(hosts.NamespaceB).Single(pid => TwoHosts.CommandLine(pid).Contains("Functional.Cli.dll", StringComparison.Ordinal));
            using var process = Process.GetProcessById(rank);
            process.Kill();
        }
        var (outcome, took) = Fault(hosts, folder, KillRankOnB);
        output.WriteLine($"killed rank: exit {outcome.ExitCode}, every rank ended {took.TotalSeconds:F1} s after the kill\n{outcome.Output}");
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Matches($@"process rank 1 with PID \d+ on node {Regex.Escape(TwoHosts.AddressB)} exited on signal 9", outcome.Output);
        AssertNewestLoads(folder);
    }

    /// <summary>
    /// Starts a long job on the two hosts, applies <paramref name="fault"/> once step 25 is logged, and waits until
    /// <c>mpirun</c> has exited and nothing runs in either namespace; fails when that takes longer than <see cref="Bound"/>.
    /// </summary>
    (MpiJob.Outcome Outcome, TimeSpan Took) Fault(TwoHosts hosts, string folder, Action fault)
    {
        using var job = hosts.Start(MpiJob.CommandLine, [.. Arguments(folder, epochs: 20), "--checkpoint-every", "5"]);
        var started = Stopwatch.StartNew();
        while (LastLogged(folder) < 25)
        {
            if (job.Process.HasExited) Assert.Fail($"The job ended by itself (exit {job.Process.ExitCode}) before step 25:\n{job.Output}");
            if (started.Elapsed > Timeout) Assert.Fail($"The job did not reach step 25 within {Timeout.TotalSeconds} s.");
            Thread.Sleep(20);
        }
        var clock = Stopwatch.StartNew();
        fault();
        var outcome = MpiJob.Wait(job, Bound, clock, "the 2-rank job on two hosts after the fault");
        while (TwoHosts.Processes(hosts.NamespaceA).Length + TwoHosts.Processes(hosts.NamespaceB).Length > 0)
        {
            var left = TwoHosts.Processes(hosts.NamespaceA).Concat(TwoHosts.Processes(hosts.NamespaceB)).Select(pid => $"{pid}: {TwoHosts.CommandLine(pid)}");
            Assert.True(clock.Elapsed < Bound, $"mpirun ended, but {Bound.TotalSeconds} s after the fault these still run:\n{string.Join('\n', left)}\n{outcome.Output}");
            Thread.Sleep(100);
        }
        var took = clock.Elapsed;
        Assert.True(took < Bound, $"Every rank ended only {took.TotalSeconds:F1} s after the fault.");
        return (outcome, took);
    }

    void AssertNewestLoads(string folder)
    {
        var options = MnistTrainingOptions.Default with { Hidden = Hidden, Epochs = 20 };
        using var generator = new torch.Generator(1);
        var template = DigitClassifier.Init(generator, Hidden, options.DropoutRate, torch.CPU);
        var latest = TrainStateFile.LoadLatest(Store(folder), template, NoState.Value, MnistTraining.Pipeline(options, StepsPerEpoch));
        Assert.NotNull(latest);
        Assert.Empty(latest.Skipped);   // the newest checkpoint itself is whole, no fallback
        // Checkpoints every 5 steps and the fault after step 25 was logged: step 20's was written before it (step 25's may be).
        Assert.True(latest.State.Step >= 20, $"The newest checkpoint is at step {latest.State.Step}, older than the last one due before the fault.");
        output.WriteLine($"the newest checkpoint (step {latest.State.Step}) loads");
        TrainState.Dispose(latest.State);
    }

    static TrainState<DigitClassifier, NoState> Load(string folder, long step)
    {
        var options = MnistTrainingOptions.Default with { Hidden = Hidden, Epochs = 1 };
        using var generator = new torch.Generator(1);
        var template = DigitClassifier.Init(generator, Hidden, options.DropoutRate, torch.CPU);
        return TrainStateFile.Load(Store(folder), step, template, NoState.Value, MnistTraining.Pipeline(options, StepsPerEpoch));
    }

    static CheckpointStore Store(string folder) => new(Path.Combine(folder, "checkpoints"), keepLast: 3);

    static string[] Arguments(string folder, int epochs) =>
    [
        "mnist", "--data", SharedData.Folder("mnist-t10k"), "--out", folder, "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
        "--hidden", Hidden.ToString(CultureInfo.InvariantCulture), "--workers", "1", "--threads", "1",
    ];

    /// <summary>The last train step in the run's log (a torn last line ignored), 0 when there is none.</summary>
    static long LastLogged(string folder)
    {
        var log = Path.Combine(folder, "metrics.jsonl");
        if (!File.Exists(log)) return 0;
        try
        {
            return MetricsLog.Read(log, TextWriter.Null).Where(r => r.Phase == "train").Select(r => r.Step).LastOrDefault();
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
