using Functional.Core;
using System.Diagnostics;
using TorchSharp;
using Xunit;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.Training;

/// <summary>A training process killed at any moment, saves included, leaves a checkpoint folder that loads.</summary>
public sealed class KillDuringSaveTests
{
    const int Hidden = 32;

    [Fact]
    public void Killing_the_trainer_while_it_saves_every_step_leaves_the_newest_complete_checkpoint_loadable()
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var store = new CheckpointStore(Path.Combine(folder, "checkpoints"), keepLast: 3);
        var options = MnistTrainingOptions.Default with { Hidden = Hidden, Epochs = 1000 };
        var pipeline = MnistTraining.Pipeline(options, stepsPerEpoch: 141);
        using var generator = new torch.Generator(1);
        var template = DigitClassifier.Init(generator, Hidden, options.DropoutRate, torch.CPU);
        var random = new Random(7);

        for (var round = 0; round < 3; round++)
        {
            var before = store.Steps().LastOrDefault();
            using var trainer = StartTrainer(folder);
            var deadline = Stopwatch.StartNew();
            while (store.Steps().LastOrDefault() < before + 5)
            {
                if (trainer.HasExited) Assert.Fail($"The trainer stopped by itself with exit code {trainer.ExitCode}.");
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "The trainer wrote no checkpoints within 90 s.");
                Thread.Sleep(10);
            }
            Thread.Sleep(random.Next(25)); // land anywhere in the save cycle of a step
            trainer.Kill(entireProcessTree: true);
            trainer.WaitForExit();

            // A kill between a checkpoint's file and its manifest leaves a complete file without a manifest: it is the newest
            // checkpoint (verified by its own checksum, its manifest written again), so the steps are listed after the load.
            var latest = TrainStateFile.LoadLatest(store, template, NoState.Value, pipeline)?.State;
            var steps = store.Steps();
            Assert.NotNull(latest);
            Assert.Equal(steps[^1], latest.Step);
            Assert.True(latest.Step > before, $"Round {round}: the resumed trainer did not get past step {before}.");
            foreach (var step in steps) TrainState.Dispose(TrainStateFile.Load(store, step, template, NoState.Value, pipeline));
            TrainState.Dispose(latest);
        }
    }

    static Process StartTrainer(string folder)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "Functional.Cli.dll");
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { executable, "mnist", "--data", SharedData.Folder("mnist-t10k"), "--out", folder, "--epochs", "1000",
                     "--hidden", Hidden.ToString(System.Globalization.CultureInfo.InvariantCulture), "--checkpoint-every", "1", "--workers", "1" })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the trainer.");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }
}
