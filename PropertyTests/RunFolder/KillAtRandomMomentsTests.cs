using Functional.Core;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.RunFolder;

/// <summary>
/// The command-line trainer killed (<c>kill -9</c>) at random moments of a run that checkpoints every 5 steps, then
/// resumed each time: every kill loses at most 5 steps, and the run finished after the kills ends in the same state,
/// bit for bit, as an uninterrupted run, with each step in its log once.
/// </summary>
public sealed class KillAtRandomMomentsTests
{
    const int Hidden = 32, Epochs = 2, Every = 5, StepsPerEpoch = 141;

    [Fact]
    public void Killed_three_times_and_resumed_the_run_ends_equal_to_an_uninterrupted_one_and_logs_each_step_once()
    {
        var uninterrupted = TemporaryFolder();
        var interrupted = TemporaryFolder();
        using (var trainer = StartTrainer(uninterrupted)) Finish(trainer);

        var store = new CheckpointStore(Path.Combine(interrupted, "checkpoints"), keepLast: 3);
        var log = Path.Combine(interrupted, "metrics.jsonl");
        var random = new Random(20);
        for (var round = 0; round < 3; round++)
        {
            var before = store.Steps().LastOrDefault();
            var killAfter = before + random.Next(3, 60);
            using var trainer = StartTrainer(interrupted);
            var deadline = Stopwatch.StartNew();
            while (LastLogged(log) < killAfter)
            {
                if (trainer.HasExited) Assert.Fail($"Round {round}: the trainer stopped by itself with exit code {trainer.ExitCode}.");
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"Round {round}: the trainer did not reach step {killAfter} within 60 s.");
                Thread.Sleep(2);
            }
            Thread.Sleep(random.Next(20)); // anywhere in a step: training, logging or saving
            trainer.Kill(entireProcessTree: true);
            trainer.WaitForExit();

            // What survives a kill: a checkpoint at most Every steps behind the last step logged.
            var lastLogged = LastLogged(log);
            var newest = store.Steps()[^1];
            Assert.True(lastLogged - newest <= Every, $"Round {round}: step {lastLogged} was logged but the newest checkpoint is of step {newest}.");
        }
        using (var trainer = StartTrainer(interrupted)) Finish(trainer);

        var options = MnistTrainingOptions.Default with { Hidden = Hidden, Epochs = Epochs };
        var pipeline = MnistTraining.Pipeline(options, StepsPerEpoch);
        using var generator = new torch.Generator(1);
        var template = DigitClassifier.Init(generator, Hidden, options.DropoutRate, torch.CPU);
        const long last = Epochs * StepsPerEpoch;
        var expected = TrainStateFile.Load(new CheckpointStore(Path.Combine(uninterrupted, "checkpoints"), keepLast: 3), last, template, NoState.Value, pipeline);
        var actual = TrainStateFile.Load(store, last, template, NoState.Value, pipeline);
        Assert.True(SameState(expected, actual), "The run killed and resumed three times differs from the uninterrupted one.");

        var records = MetricsLog.Read(log, TextWriter.Null);
        Assert.Equal(Enumerable.Range(1, (int)last).Select(s => (long)s), records.Where(r => r.Phase == "train").Select(r => r.Step));
        Assert.Equal([(long)StepsPerEpoch, last], records.Where(r => r.Phase == "validation").Select(r => r.Step));
        TrainState.Dispose(expected);
        TrainState.Dispose(actual);
    }

    /// <summary>The last train step in the log (a torn last line ignored), 0 when there is none.</summary>
    static long LastLogged(string log)
    {
        if (!File.Exists(log)) return 0;
        try
        {
            return MetricsLog.Read(log, TextWriter.Null).Where(r => r.Phase == "train").Select(r => r.Step).LastOrDefault();
        }
        catch (IOException)
        {
            return 0; // replaced by the truncation at a resume while we read
        }
    }

    static void Finish(Process trainer)
    {
        Assert.True(trainer.WaitForExit(TimeSpan.FromSeconds(90)), "The trainer did not finish within 90 s.");
        Assert.Equal(0, trainer.ExitCode);
    }

    static Process StartTrainer(string folder)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "Functional.Cli.dll");
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { executable, "mnist", "--data", SharedData.Folder("mnist-t10k"), "--out", folder,
                     "--epochs", Epochs.ToString(CultureInfo.InvariantCulture), "--hidden", Hidden.ToString(CultureInfo.InvariantCulture),
                     "--checkpoint-every", Every.ToString(CultureInfo.InvariantCulture), "--workers", "1" })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the trainer.");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }
}
