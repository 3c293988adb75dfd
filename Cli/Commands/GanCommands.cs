using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;
using Functional.Models.Gan;
using Functional.Reporting;
using Functional.Training;

namespace Functional.Cli;

/// <summary>The <c>gan</c> commands: train, sample, score.</summary>
public sealed class GanCommands : ICommandFamily
{
    /// <summary>The digit classifier's checkpoints: those of <c>mnist --out runs/mnist</c>.</summary>
    public static readonly string DefaultClassifier = Path.Combine(MnistCommands.DefaultOutDirectory, "checkpoints");

    /// <summary>Samples in the grid of <c>gan sample</c>.</summary>
    public const int SampleCount = 100;

    /// <summary>Pixels per MNIST pixel in the grid of <c>gan sample</c>.</summary>
    public const int SampleScale = 2;

    /// <inheritdoc />
    public Command Build(CommandContext context) =>
        new("gan", "an MLP hinge GAN on MNIST t10k trained with one loss through stop-gradient") { Train(context), Sample(context), Score(context) };

    static Option<string> Output(string description) => Flags.Folder("--out", GanRun.Default.OutputDirectory, description);

    static Option<string> Classifier() =>
        Flags.Folder("--classifier", DefaultClassifier, "the digit classifier's checkpoints (an mnist run's; read only, never written; without one, samples are not scored)");

    /// <summary>
    /// libtorch threads of <c>gan train</c> by default: 1. Its MLP steps are a few hundred small ops; on 2 cores shared
    /// with other work, libtorch's 2 OpenMP threads spin-wait for each other at every parallel op and a step took 5-10x
    /// longer than on 1 thread (gan-race, load 12-30), while on a quiet machine 2 threads gain at most about a fifth.
    /// </summary>
    public const int DefaultThreads = 1;

    static readonly string[] UpdateNames = ["single", "alternating"];

    static string Name(GanUpdate update) => update == GanUpdate.SingleLoss ? UpdateNames[0] : UpdateNames[1];

    /// <summary><c>gan train</c>: trains the GAN, resuming from the newest checkpoint in <c>--out</c> unless <c>--restart</c>.</summary>
    static Command Train(CommandContext context)
    {
        var d = GanOptions.Default;
        var data = Flags.InputFolder("--data", d.DataDirectory, "the MNIST t10k folder");
        var output = Output("receives checkpoints/ and samples/epoch-NNNN.png; a run there is resumed (its gan-options.json fixes the networks)");
        var epochs = Flags.Count("--epochs", d.Epochs, "passes over the 10,000 digits (in all, counting the epochs of a resumed run)");
        var batch = Flags.Size("--batch", d.BatchSize, "real digits (and generated ones) per step", Sizes.Batch);
        var noise = Flags.Size("--noise", d.NoiseSize, "noise values per sample", Sizes.Width);
        var generatorHidden = Flags.Size("--g-hidden", d.GeneratorHidden, "generator widths: N, then 2N", Sizes.Width);
        var discriminatorHidden = Flags.Size("--d-hidden", d.DiscriminatorHidden, "discriminator widths: 2N, then N", Sizes.Width);
        var spectral = Flags.Switch("--spectral-norm", d.SpectralNorm, "spectrally normalise the discriminator's weights");
        var generatorRate = Flags.Number("--g-learning-rate", d.GeneratorLearningRate, "Adam step size of the generator", Bounds.Positive);
        var discriminatorRate = Flags.Number("--d-learning-rate", d.DiscriminatorLearningRate, "Adam step size of the discriminator", Bounds.Positive);
        var b1 = Flags.Number("--b1", d.B1, "Adam first-moment decay", Bounds.Decay);
        var b2 = Flags.Number("--b2", d.B2, "Adam second-moment decay", Bounds.Decay);
        var lambda = Flags.Number("--lambda", d.Lambda, "weight of the generator's term in the single loss", Bounds.Positive);
        var generatorEma = Flags.Number("--generator-ema", d.GeneratorEma, "sample from an average of the generator's weights with this decay (0: from the weights)", Bounds.Decay);
        var update = Flags.Choice("--update", Name(d.Update), "one loss per step, or a discriminator step then a generator step", UpdateNames);
        var seed = Flags.Seed(d.Seed, "seeds initialisation, shuffling and noise");
        var minutes = Flags.Minutes(GanRun.Default.TimeBudget.TotalMinutes, "stop after the step that reaches this budget, with a checkpoint and a sample grid (the next run resumes there)");
        var restart = Flags.Switch("--restart", false, "delete the checkpoints in --out and start over instead of resuming");
        var classifier = Classifier();
        var threads = LibtorchThreads.Option(DefaultThreads);
        var device = Devices.Option();
        var command = new Command("train", "train the GAN; each epoch a checkpoint, OUT/samples/epoch-NNNN.png and the digit classifier's score of 1000 samples")
        {
            data, output, epochs, batch, noise, generatorHidden, discriminatorHidden, spectral, generatorRate, discriminatorRate, b1, b2, lambda,
            generatorEma, update, seed, minutes, restart, classifier, threads, device,
        };
        Flags.CheckPaths(command, data, output, classifier);
        command.SetAction(parsed =>
        {
            var options = new GanOptions(
                parsed.GetValue(data)!, parsed.GetValue(epochs), parsed.GetValue(batch), parsed.GetValue(noise), parsed.GetValue(generatorHidden),
                parsed.GetValue(discriminatorHidden), d.LeakySlope, parsed.GetValue(spectral), parsed.GetValue(generatorRate), parsed.GetValue(discriminatorRate),
                parsed.GetValue(b1), parsed.GetValue(b2), parsed.GetValue(lambda), parsed.GetValue(generatorEma),
                parsed.GetValue(update) == UpdateNames[0] ? GanUpdate.SingleLoss : GanUpdate.Alternating, parsed.GetValue(seed)).Validated();
            var targetDevice = Devices.Parse(parsed.GetValue(device)!);
            var budget = parsed.GetValue(minutes) is > 0 and var m ? TimeSpan.FromMinutes(m) : TimeSpan.MaxValue;
            var run = new GanRun(parsed.GetValue(output)!, parsed.GetValue(restart), budget, GanRun.Default.GridColumns) { Device = targetDevice };
            var scorer = LoadClassifier(context, parsed.GetValue(classifier)!, options.DataDirectory, targetDevice);
            Run(context, options, run, scorer);
        });
        return command;
    }

    static void Run(CommandContext context, GanOptions options, GanRun run, ScoringClassifier? scorer)
    {
        var total = Stopwatch.StartNew();
        using var progress = ProgressObserver.Console();
        var result = GanTraining.Run(options, run, [progress], samples =>
        {
            Say(context, $"epoch {samples.Epoch} (step {samples.Step}, {total.Elapsed.TotalMinutes:F1} min in all): wrote {samples.GridPath}");
            if (samples.Score is { } score) Say(context, $"  score: {score}");
        }, scorer, context.Stop, context.Output);
        Say(context, $"{result.End} after step {result.State.Step}, {total.Elapsed.TotalMinutes:F1} min; checkpoints in {run.CheckpointDirectory}");
        TrainState.Dispose(result.State);
    }

    /// <summary><c>gan sample</c>: a grid of samples from the newest checkpoint.</summary>
    static Command Sample(CommandContext context)
    {
        var output = Output("the training's folder (its checkpoints/)");
        var png = Flags.OutputFile("--png", Path.Combine(GanRun.Default.OutputDirectory, "sample.png"), "the PNG written (in the --out folder when --out is given and --png is not)");
        var count = Flags.Size("--count", SampleCount, "samples drawn", Sizes.Samples);
        var columns = Flags.Size("--columns", GanRun.Default.GridColumns, "tiles per row", Sizes.Columns);
        var scale = Flags.Size("--scale", SampleScale, "pixels per MNIST pixel", Sizes.Scale);
        var seed = Flags.Seed(1, "seeds the noise");
        var device = Devices.Option();
        var command = new Command("sample", "a PNG grid of samples from the newest checkpoint (its generator-weight average when it keeps one)")
        {
            output, png, count, columns, scale, seed, device,
        };
        Flags.CheckPaths(command, output);
        Flags.Validate(command, result =>
        {
            if (!Flags.TryGetValue(result, count, out var n) || !Flags.TryGetValue(result, columns, out var perRow) || !Flags.TryGetValue(result, scale, out var pixels)) return;
            if (n < 1 || perRow < 1 || pixels < 1) return; // each option's own check refuses these
            // SampleGrid.Size in long arithmetic: a row is --columns tiles wide however few samples there are.
            var (width, height) = ((long)pixels * (perRow * (28L + SampleGrid.Gap) + SampleGrid.Gap), (long)pixels * ((n + perRow - 1) / perRow * (28L + SampleGrid.Gap) + SampleGrid.Gap));
            if (width * height > Sizes.GridPixels)
                result.AddError($"--count {n} --columns {perRow} --scale {pixels} make a {width}x{height} image, more than {Sizes.GridPixels:N0} pixels: lower --scale or --count.");
        });
        command.SetAction(parsed =>
        {
            var folder = parsed.GetValue(output)!;
            var file = parsed.GetResult(png) is { Implicit: false } ? parsed.GetValue(png)! : Path.Combine(folder, "sample.png");
            var n = parsed.GetValue(count);
            var targetDevice = Devices.Parse(parsed.GetValue(device)!);
            var checkpoint = GanTraining.LoadLatest(folder, targetDevice);
            using var scope = torch.NewDisposeScope();
            var sampling = GanOptimizer.SamplingGenerator(checkpoint.State);
            using var generator = new torch.Generator((ulong)parsed.GetValue(seed), targetDevice);
            var samples = GanTraining.Sample(sampling, GanGenerator.Noise(sampling, n, generator));
            var size = SampleGrid.WritePng(file, samples, parsed.GetValue(columns), parsed.GetValue(scale));
            Say(context, $"wrote {file} ({size.Width}x{size.Height} px, {n} samples of step {checkpoint.State.Step})");
            TrainState.Dispose(checkpoint.State);
        });
        return command;
    }

    /// <summary><c>gan score</c>: the digit classifier's score of samples from the newest checkpoint.</summary>
    static Command Score(CommandContext context)
    {
        var output = Output("the training's folder (its checkpoints/)");
        var classifier = Classifier();
        var count = Flags.Size("--count", GanTraining.ScoredSamples, "samples scored", Sizes.Samples);
        var seed = Flags.Seed(1, "seeds the noise");
        var device = Devices.Option();
        var command = new Command("score", "the share of samples the digit classifier recognises with confidence > 0.9, and the digits covered")
        {
            output, classifier, count, seed, device,
        };
        Flags.CheckPaths(command, output, classifier);
        command.SetAction(parsed =>
        {
            var targetDevice = Devices.Parse(parsed.GetValue(device)!);
            var checkpoint = GanTraining.LoadLatest(parsed.GetValue(output)!, targetDevice);
            var directory = parsed.GetValue(classifier)!;
            var scorer = LoadClassifier(context, directory, checkpoint.Options.DataDirectory, targetDevice)
                ?? throw new FileNotFoundException($"No digit classifier in {directory}; train one with `mnist --out {Path.GetDirectoryName(Path.GetFullPath(directory))}` first.");
            using var scope = torch.NewDisposeScope();
            var sampling = GanOptimizer.SamplingGenerator(checkpoint.State);
            using var generator = new torch.Generator((ulong)parsed.GetValue(seed), targetDevice);
            var samples = GanTraining.Sample(sampling, GanGenerator.Noise(sampling, parsed.GetValue(count), generator));
            Say(context, $"step {checkpoint.State.Step}: {SampleScoring.Score(scorer.Classifier, samples, SampleScoring.DefaultThreshold, generator)}");
            TrainState.Dispose(checkpoint.State);
        });
        return command;
    }

    /// <summary>The scoring classifier of <paramref name="directory"/> (read only), or null with a note when it has none.</summary>
    static ScoringClassifier? LoadClassifier(CommandContext context, string directory, string data, torch.Device device)
    {
        var loaded = ClassifierFile.Load(directory, MnistTrainingOptions.Default with { DataDirectory = data, Device = device });
        if (loaded is null)
        {
            Say(context, $"no digit classifier in {directory} (train one with `mnist`): samples are not scored");
            return null;
        }
        Say(context, $"digit classifier from {directory} (step {loaded.Step}, read only): held-out accuracy {loaded.ValidationAccuracy:P2}");
        return loaded;
    }

    static void Say(CommandContext context, FormattableString line) => context.Output.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
