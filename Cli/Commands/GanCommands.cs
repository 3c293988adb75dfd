using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Functional.Models.Digits;
using Functional.Models.Gan;
using Functional.Reporting;
using Functional.Training;

namespace Functional.Cli;

/// <summary>The <c>gan</c> commands: train, sample, score.</summary>
public sealed class GanCommands : ICommandFamily
{
    /// <inheritdoc />
    public string Name => "gan";

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Func<Arguments, int>> Commands { get; } = new Dictionary<string, Func<Arguments, int>>
    {
        ["train"] = Train,
        ["sample"] = Sample,
        ["score"] = Score,
    };

    /// <inheritdoc />
    public string Usage => UsageText;

    /// <summary>The usage lines of the <c>gan</c> commands.</summary>
    const string UsageText = """
          gan train
                   an MLP hinge GAN on MNIST t10k trained with one loss through stop-gradient (or alternating steps);
                   each epoch a progress bar, a checkpoint, OUT/samples/epoch-NNNN.png and a classifier score of 1000 samples
                   --data DIR (../shared/data/mnist-t10k)  --out DIR (runs/gan)  --epochs N (40)  --batch N (64)
                   --noise N (64)  --g-hidden N (128)  --d-hidden N (128)  --spectral-norm on|off (on)
                   --g-learning-rate X (2e-4)  --d-learning-rate X (4e-4)  --b1 X (0.5)  --b2 X (0.999)  --lambda X (1)
                   --generator-ema X (0.999: sample from an average of the generator's weights; 0: from the weights)
                   --update single|alternating (single)  --seed N (1)  --max-minutes X (none)  --resume yes|no (no)
                   --classifier DIR (runs/mnist/checkpoints: the checkpoints of `mnist --out runs/mnist`; trained there with its defaults if missing)
                   --threads N (libtorch's default; 1 is faster on a busy machine)  --device NAME (cpu; cuda, cuda:N where libtorch sees a GPU)
          gan sample
                   a PNG grid of samples from the newest checkpoint (its generator-weight average when it keeps one)
                   --out DIR (runs/gan)  --png FILE (OUT/sample.png)  --count N (100)  --columns N (10)  --scale N (2)  --seed N (1)
                   --device NAME (cpu)
          gan score
                   the share of samples the digit classifier recognises with confidence > 0.9, and the digits covered
                   --out DIR (runs/gan)  --classifier DIR (runs/mnist/checkpoints)  --count N (1000)  --seed N (1)  --device NAME (cpu)
        """;

    const string DefaultClassifier = "runs/mnist/checkpoints";

    /// <summary>Trains the GAN (see <see cref="UsageText"/>).</summary>
    public static int Train(Arguments arguments)
    {
        var d = GanOptions.Default;
        var options = new GanOptions(
            arguments.Text("data", d.DataDirectory), arguments.Integer("epochs", d.Epochs), arguments.Integer("batch", d.BatchSize),
            arguments.Integer("noise", d.NoiseSize), arguments.Integer("g-hidden", d.GeneratorHidden), arguments.Integer("d-hidden", d.DiscriminatorHidden),
            d.LeakySlope, Switch(arguments, "spectral-norm", "on", "off", d.SpectralNorm),
            arguments.Number("g-learning-rate", d.GeneratorLearningRate), arguments.Number("d-learning-rate", d.DiscriminatorLearningRate),
            arguments.Number("b1", d.B1), arguments.Number("b2", d.B2), arguments.Number("lambda", d.Lambda), arguments.Number("generator-ema", d.GeneratorEma),
            arguments.Text("update", "single") switch
            {
                "single" => GanUpdate.SingleLoss,
                "alternating" => GanUpdate.Alternating,
                var other => throw new ArgumentException($"--update must be single or alternating, got '{other}'."),
            },
            arguments.Integer("seed", d.Seed)).Validated();
        var device = arguments.Device();
        var run = new GanRun(arguments.Text("out", GanRun.Default.OutputDirectory), Switch(arguments, "resume", "yes", "no", false),
            TimeSpan.FromMinutes(arguments.Number("max-minutes", GanRun.Default.TimeBudget.TotalMinutes)), GanRun.Default.GridColumns)
            { Device = device };
        var classifierDirectory = arguments.Text("classifier", DefaultClassifier);
        var threads = arguments.Integer("threads", 0);
        arguments.CheckAllUsed();
        if (threads > 0) torch.set_num_threads(threads);

        var classifier = Classifier(classifierDirectory, options.DataDirectory, device);
        Say($"GAN: {options}");
        var total = Stopwatch.StartNew();
        ProgressBar? bar = null;
        using var scoring = new torch.Generator(0, device);
        GanTraining.Run(options, run, new GanReporting(
            (epoch, step, steps, metrics) =>
            {
                if (step == 1)
                {
                    Say($"epoch {epoch}/{options.Epochs}");
                    var clock = Stopwatch.StartNew();
                    bar = new ProgressBar(steps, Console.Out, interactive: !Console.IsOutputRedirected, TimeSpan.FromSeconds(10), () => clock.Elapsed);
                }
                bar!.Update(step, new Dictionary<string, double> { ["d_loss"] = metrics.DiscriminatorLoss, ["g_loss"] = metrics.GeneratorLoss }, new Dictionary<string, double>());
            },
            epoch =>
            {
                bar?.Finish();
                var score = SampleScoring.Score(classifier, epoch.Samples, SampleScoring.DefaultThreshold, scoring);
                Say($"epoch {epoch.Epoch} (step {epoch.Step}, {epoch.Seconds:F1} s, {total.Elapsed.TotalMinutes:F1} min in all): d_loss {epoch.DiscriminatorLoss:F4}  g_loss {epoch.GeneratorLoss:F4}  wrote {epoch.GridPath}");
                Say($"  score: {score}");
            }));
        Say($"trained in {total.Elapsed.TotalMinutes:F1} min; checkpoints in {Path.Combine(run.OutputDirectory, "checkpoints")}");
        return 0;
    }

    /// <summary>Writes a grid of samples from the newest checkpoint.</summary>
    public static int Sample(Arguments arguments)
    {
        var output = arguments.Text("out", GanRun.Default.OutputDirectory);
        var png = arguments.Text("png", Path.Combine(output, "sample.png"));
        var count = arguments.Integer("count", 100);
        var columns = arguments.Integer("columns", 10);
        var scale = arguments.Integer("scale", 2);
        var seed = arguments.Integer("seed", 1);
        var device = arguments.Device();
        arguments.CheckAllUsed();
        var checkpoint = Latest(output, device);
        var sampling = GanOptimizer.SamplingGenerator(checkpoint.State);
        using var generator = new torch.Generator((ulong)seed, device);
        using var noise = GanGenerator.Noise(sampling, count, generator);
        using var samples = GanTraining.Sample(sampling, noise);
        var size = SampleGrid.WritePng(png, samples, columns, scale);
        Say($"wrote {png} ({size.Width}x{size.Height} px, {count} samples of step {checkpoint.State.Step})");
        return 0;
    }

    /// <summary>Scores samples from the newest checkpoint with the digit classifier.</summary>
    public static int Score(Arguments arguments)
    {
        var output = arguments.Text("out", GanRun.Default.OutputDirectory);
        var classifierDirectory = arguments.Text("classifier", DefaultClassifier);
        var count = arguments.Integer("count", 1000);
        var seed = arguments.Integer("seed", 1);
        var device = arguments.Device();
        arguments.CheckAllUsed();
        var checkpoint = Latest(output, device);
        var classifier = Classifier(classifierDirectory, checkpoint.Options.DataDirectory, device);
        var sampling = GanOptimizer.SamplingGenerator(checkpoint.State);
        using var generator = new torch.Generator((ulong)seed, device);
        using var noise = GanGenerator.Noise(sampling, count, generator);
        using var samples = GanTraining.Sample(sampling, noise);
        Say($"step {checkpoint.State.Step}: {SampleScoring.Score(classifier, samples, SampleScoring.DefaultThreshold, generator)}");
        return 0;
    }

    static GanCheckpointContent Latest(string output, torch.Device device) =>
        GanCheckpoint.LoadLatest(new CheckpointStore(Path.Combine(output, "checkpoints"), keepLast: 2), device)
        ?? throw new FileNotFoundException($"No GAN checkpoint in {Path.Combine(output, "checkpoints")}; run `gan train --out {output}` first.");

    static DigitClassifier Classifier(string directory, string data, torch.Device device)
    {
        using var progress = ProgressObserver.Console();
        var loaded = ClassifierFile.LoadOrTrain(directory, MnistTrainingOptions.Default with { DataDirectory = data, Device = device }, [progress]);
        Say($"digit classifier from {directory}: held-out accuracy {loaded.ValidationAccuracy:P2}");
        return loaded.Classifier;
    }

    static bool Switch(Arguments arguments, string name, string yes, string no, bool fallback) =>
        arguments.Text(name, fallback ? yes : no) is var text && text == yes ? true
        : text == no ? false
        : throw new ArgumentException($"--{name} must be {yes} or {no}, got '{text}'.");

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
