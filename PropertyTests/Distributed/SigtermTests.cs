using Functional.Core;
using System.Diagnostics;
using System.Globalization;
using Functional.Cli;
using Functional.Models.Digits;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Distributed;

/// <summary>
/// SIGTERM (a scheduler's stop: Slurm, Kubernetes, <c>docker stop</c>) ends a training as Ctrl-C does: a checkpoint at
/// the step it stopped after, exit code 143; the requeued run resumes from it and ends in the same state, bit for bit,
/// as a run that was never stopped. In one process, and under <c>mpirun -np 2</c> (every rank stops after the same step).
/// </summary>
public sealed class SigtermTests(Xunit.Abstractions.ITestOutputHelper output)
{
    const int Hidden = 32, Epochs = 2, StepsPerEpoch = 141;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(240);

    [Fact]
    public void Sigterm_in_one_process_checkpoints_the_current_step_exits_143_and_the_resumed_run_equals_an_uninterrupted_one_bitwise()
    {
        var uninterrupted = TemporaryFolder();
        var interrupted = TemporaryFolder();
        Finish(Start(uninterrupted), "the uninterrupted run");

        var stopAt = new Random(29).Next(20, 2 * StepsPerEpoch - 20);
        using (var trainer = Start(interrupted))
        {
            WaitForStep(trainer, interrupted, stopAt);
            MpiJob.Terminate(trainer.Process.Id);
            var stopped = MpiJob.Wait(trainer, Timeout, Stopwatch.StartNew(), "the stopped run");
            Assert.True(stopped.ExitCode == Program.Terminated, $"exit {stopped.ExitCode}:\n{stopped.Output}");
            Assert.Contains("stopped by SIGTERM.", stopped.Output, StringComparison.Ordinal);
        }
        var lastLogged = LastLogged(interrupted);
        output.WriteLine($"SIGTERM after step {stopAt} was logged; the run stopped after step {lastLogged}");
        Assert.Equal(lastLogged, Store(interrupted).Steps()[^1]);

        Finish(Start(interrupted), "the resumed run");
        AssertSameFinalState(uninterrupted, interrupted);
    }

    [MpiFact]
    public void Sigterm_to_mpirun_stops_both_ranks_after_the_same_step_with_a_checkpoint_there_and_the_resumed_job_equals_an_uninterrupted_one_bitwise()
    {
        var uninterrupted = TemporaryFolder();
        var interrupted = TemporaryFolder();
        Finish(StartJob(uninterrupted), "the uninterrupted 2-rank run");

        var stopAt = new Random(143).Next(20, 2 * StepsPerEpoch - 20);
        using (var job = StartJob(interrupted))
        {
            WaitForStep(job, interrupted, stopAt);
            MpiJob.Terminate(job.Process.Id);
            var stopped = MpiJob.Wait(job, Timeout, Stopwatch.StartNew(), "the stopped 2-rank run");
            output.WriteLine($"mpirun exit {stopped.ExitCode}\n{stopped.Output}");
            // mpirun ends its own run with 1 whatever the ranks return; each rank saying it stopped shows that each one
            // handled the stop mpirun passed on (its SIGCONT, then SIGTERM; a rank killed instead would say nothing).
            Assert.Equal(2, Count(stopped.Output, "stopped by SIGTERM"));
        }
        var lastLogged = LastLogged(interrupted);
        output.WriteLine($"SIGTERM after step {stopAt} was logged; the job stopped after step {lastLogged}");
        Assert.Equal(lastLogged, Store(interrupted).Steps()[^1]);

        Finish(StartJob(interrupted), "the resumed 2-rank run");
        AssertSameFinalState(uninterrupted, interrupted);
    }

    [MpiFact]
    public void Sigterm_to_each_rank_as_a_scheduler_sends_it_ends_the_job_with_exit_code_143_and_a_checkpoint_at_the_last_step()
    {
        var folder = TemporaryFolder();
        using var job = StartJob(folder, epochs: 20);
        WaitForStep(job, folder, 30);
        var ranks = File.ReadAllText($"/proc/{job.Process.Id}/task/{job.Process.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, ranks.Length);
        foreach (var rank in ranks) MpiJob.Terminate(int.Parse(rank, CultureInfo.InvariantCulture));
        var stopped = MpiJob.Wait(job, Timeout, Stopwatch.StartNew(), "the 2-rank run");
        output.WriteLine($"mpirun exit {stopped.ExitCode}\n{stopped.Output}");
        Assert.True(stopped.ExitCode == Program.Terminated, $"exit {stopped.ExitCode}:\n{stopped.Output}");
        Assert.Equal(2, Count(stopped.Output, "stopped by SIGTERM."));
        Assert.Equal(LastLogged(folder), Store(folder).Steps()[^1]);
    }

    static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    static CheckpointStore Store(string folder) => new(Path.Combine(folder, "checkpoints"), keepLast: 3);

    static string[] Arguments(string folder, int epochs) =>
    [
        "mnist", "--data", SharedData.Folder("mnist-t10k"), "--out", folder, "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
        "--hidden", Hidden.ToString(CultureInfo.InvariantCulture), "--workers", "1", "--threads", "1",
    ];

    // mpirun sends its ranks SIGCONT, SIGTERM odls_base_sigkill_timeout seconds later and SIGKILL as long again (default
    // 1 s), and stops forwarding their output once it exits: the documented setting for requeued jobs gives the ranks time
    // to validate and exit, and their last words reach the test.
    static MpiJob.Job StartJob(string folder, int epochs = Epochs) =>
        MpiJob.Start(2, ["--mca", "odls_base_sigkill_timeout", "10"], MpiJob.CommandLine, Arguments(folder, epochs));

    static MpiJob.Job Start(string folder)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { MpiJob.CommandLine }.Concat(Arguments(folder, Epochs))) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the trainer.");
        return new MpiJob.Job(process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
    }

    static void Finish(MpiJob.Job job, string description)
    {
        using (job)
        {
            var outcome = MpiJob.Wait(job, Timeout, Stopwatch.StartNew(), description);
            Assert.True(outcome.ExitCode == 0, $"{description}: exit {outcome.ExitCode}\n{outcome.Output}");
        }
    }

    static void WaitForStep(MpiJob.Job job, string folder, long step)
    {
        var clock = Stopwatch.StartNew();
        while (LastLogged(folder) < step)
        {
            if (job.Process.HasExited) Assert.Fail($"The run ended by itself (exit {job.Process.ExitCode}) before step {step}:\n{job.Output}");
            Assert.True(clock.Elapsed < Timeout, $"The run did not reach step {step} within {Timeout.TotalSeconds} s.");
            Thread.Sleep(5);
        }
    }

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

    static void AssertSameFinalState(string uninterrupted, string interrupted)
    {
        var options = MnistTrainingOptions.Default with { Hidden = Hidden, Epochs = Epochs };
        var pipeline = MnistTraining.Pipeline(options, StepsPerEpoch);
        using var generator = new torch.Generator(1);
        var template = DigitClassifier.Init(generator, Hidden, options.DropoutRate, torch.CPU);
        const long last = Epochs * StepsPerEpoch;
        var expected = TrainStateFile.Load(Store(uninterrupted), last, template, NoState.Value, pipeline);
        var actual = TrainStateFile.Load(Store(interrupted), last, template, NoState.Value, pipeline);
        Assert.True(SameState(expected, actual), "The run stopped by SIGTERM and resumed differs from the uninterrupted one.");
        var records = MetricsLog.Read(Path.Combine(interrupted, "metrics.jsonl"), TextWriter.Null);
        Assert.Equal(Enumerable.Range(1, (int)last).Select(s => (long)s), records.Where(r => r.Phase == "train").Select(r => r.Step));
        TrainState.Dispose(expected);
        TrainState.Dispose(actual);
    }
}
