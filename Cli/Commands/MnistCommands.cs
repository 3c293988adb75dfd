using System.CommandLine;
using System.Globalization;
using Functional.Core;
using Functional.Distributed;
using Functional.Models.Digits;
using Functional.Reporting;
using Functional.Training;
using TorchSharp;

namespace Functional.Cli;

/// <summary>The <c>mnist</c> commands: the fit-loop demo itself, and <c>mnist accumulate</c>.</summary>
public sealed class MnistCommands : ICommandFamily
{
    /// <summary>Where <c>mnist</c> writes by default (and where <c>gan</c> finds the digit classifier's checkpoints).</summary>
    public const string DefaultOutDirectory = "runs/mnist";

    /// <summary>The batch size of <c>mnist accumulate</c>: one batch of it against batch 1 accumulated this many times.</summary>
    public const int AccumulateBatch = 100;

    /// <summary>The updates <c>mnist accumulate</c> compares.</summary>
    public const int AccumulateUpdates = 30;

    /// <inheritdoc />
    public Command Build(CommandContext context)
    {
        var d = MnistTrainingOptions.Default;
        var data = Data();
        var output = Flags.Folder("--out", DefaultOutDirectory, "receives metrics.jsonl, loss.png and checkpoints/; a run there resumes from its newest checkpoint");
        var model = Flags.Choice("--model", ModelName(d.Model), "the classifier: mlp (perceptron with dropout) or conv (two convolution blocks with batch norm)", ModelNames);
        var channels = Flags.Size("--channels", d.ConvChannels, "feature maps of the conv classifier's first block (the second has twice as many)", Sizes.Channels);
        var minutes = Flags.Minutes(d.Minutes, "wall-time budget: the fit stops, validating, once it has passed");
        var epochs = Flags.Count("--epochs", d.Epochs, "passes over the training digits");
        var batch = Flags.Size("--batch", d.BatchSize, "examples per step", Sizes.Batch);
        var learningRate = Flags.Number("--learning-rate", d.LearningRate, "Adam's peak learning rate (warm-up, then cosine decay to a twentieth)", Bounds.Positive);
        var hidden = Flags.Size("--hidden", d.Hidden, "width of the mlp's hidden layers", Sizes.Width);
        var dropout = Flags.Number("--dropout", d.DropoutRate, "share of features dropped in training", Bounds.Decay);
        var ema = Flags.Number("--ema", d.EmaDecay, "decay of the weight average used for validation (0: none)", Bounds.Decay);
        var workers = Flags.Workers(d.Workers, "threads that gather batches ahead of the step");
        var seed = Flags.Seed(d.Seed, "seeds initialisation, shuffling and dropout");
        var checkpointEvery = Flags.Integer("--checkpoint-every", 0, "a checkpoint every N steps too (0: at epoch ends only)", 0);
        var threads = LibtorchThreads.Option(0);
        var restart = Flags.Switch("--restart", d.Restart, "delete the checkpoints in --out and start over instead of resuming");
        var tensorBoard = Flags.OptionalFolder("--tensorboard", "also write TensorBoard scalars (train/*, validation/*) to this folder");
        var device = Devices.Option();
        var parallel = new DataParallelFlags();
        var command = new Command("mnist", "train a digit classifier on MNIST t10k with the fit loop (Adam, warm-up + cosine, EMA validation); resumes from its newest checkpoint in --out")
        {
            data, output, model, channels, minutes, epochs, batch, learningRate, hidden, dropout, ema, workers, seed, checkpointEvery, threads, restart, tensorBoard, device, Accumulate(context),
        };
        parallel.AddTo(command, ema);
        Flags.CheckPaths(command, data, output);
        command.SetAction(parsed =>
        {
            var options = new MnistTrainingOptions(
                parsed.GetValue(data)!, parsed.GetValue(epochs), parsed.GetValue(batch), parsed.GetValue(learningRate), parsed.GetValue(hidden),
                parsed.GetValue(dropout), d.ValidationCount, parsed.GetValue(ema), parsed.GetValue(workers), parsed.GetValue(seed))
            {
                Device = Devices.Parse(parsed.GetValue(device)!), Restart = parsed.GetValue(restart),
                Model = ParseModel(parsed.GetValue(model)!), ConvChannels = parsed.GetValue(channels), Minutes = parsed.GetValue(minutes),
            };
            Train(context, options, parsed.GetValue(output)!, parsed.GetValue(checkpointEvery), parsed.GetValue(tensorBoard), parallel.Options(parsed));
        });
        return command;
    }

    /// <summary>The names <c>--model</c> accepts, in the order of <see cref="DigitModel"/>.</summary>
    public static readonly string[] ModelNames = Enum.GetValues<DigitModel>().Select(ModelName).ToArray();

    /// <summary>The command-line name of <paramref name="model"/>: <c>mlp</c>, <c>conv</c>.</summary>
    public static string ModelName(DigitModel model) => model.ToString().ToLowerInvariant();

    static DigitModel ParseModel(string name) => Enum.GetValues<DigitModel>().Single(m => ModelName(m) == name);

    static Option<string> Data() => Flags.InputFolder("--data", MnistTrainingOptions.Default.DataDirectory, "the MNIST t10k folder");

    /// <summary>
    /// Trains the digit classifier in the output folder (<see cref="FolderRun"/>): progress bar, JSON-lines log, loss chart,
    /// checkpoints and the best validation by accuracy (<c>best/</c>). A folder that already holds checkpoints is resumed
    /// from its newest. Launched by <c>mpirun -np R</c>, the R processes train data-parallel as <paramref name="parallel"/>
    /// says: rank 0 holds the run folder's lock, writes the files and shows the progress; the others only compute.
    /// </summary>
    /// <remarks>Under <c>mpirun</c>, a failure on any rank ends every rank (<see cref="DataParallelJob"/>).</remarks>
    static void Train(CommandContext context, MnistTrainingOptions options, string output, int checkpointEvery, string? tensorBoard, DataParallelRunOptions parallel) =>
        DataParallelJob.Run(context, parallel, group => Train(context, options, output, checkpointEvery, tensorBoard, group));

    static void Train(CommandContext context, MnistTrainingOptions options, string output, int checkpointEvery, string? tensorBoard, IRunGroup group)
    {
        var root = group.IsRoot;
        var say = root ? context.Output : TextWriter.Null;
        var run = new RunOptions(output)
        {
            Restart = options.Restart, KeepCheckpoints = 3, CheckpointEverySteps = checkpointEvery, Output = say,
            Best = new BestBy(Accuracy, Minimize: false),
        };
        var ranks = group.Size > 1 ? $", {group.Size} processes" : "";
        var budget = options.Minutes > 0 ? string.Create(CultureInfo.InvariantCulture, $", at most {options.Minutes} min") : "";
        say.WriteLine($"Training a digit classifier ({ModelName(options.Model)}) on {options.DataDirectory} ({options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, batch {options.BatchSize}{ranks}{budget}).");
        var chartPath = Path.Combine(output, "loss.png");
        using var progress = ProgressObserver.Console();
        using var board = root && tensorBoard is not null ? new TensorBoardObserver(tensorBoard) : null;
        IFitObserver[] observers = root
            ? [new ModelSummaryObserver(say), progress, new LossChartObserver(chartPath, run.MetricsLogPath), .. board is null ? [] : new IFitObserver[] { board }]
            : [];
        var fit = new FitOptions { Epochs = options.Epochs, Observers = observers, TimeLimit = options.TimeLimit };
        if (options.Model == DigitModel.Conv)
            Report(say, ConvMnistTraining.Run(options, run, fit, group, context.Stop), options, run, chartPath);
        else Report(say, MnistTraining.Run(options, run, fit, group, context.Stop), options, run, chartPath);
    }

    /// <summary>The validation metric the best checkpoints are ranked by.</summary>
    const string Accuracy = "accuracy";

    /// <summary>Prints how the fit ended and where its files are, and releases its state.</summary>
    static void Report<TParams, TModelState>(TextWriter say, FitResult<TParams, TModelState> result, MnistTrainingOptions options, RunOptions run, string chartPath)
    {
        if (result.History.Count == 0) say.WriteLine($"Nothing to do: the checkpoint in {run.CheckpointFolder} has finished {options.Epochs} epochs.");
        else
        {
            var last = result.History[^1];
            say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.End} after step {result.State.Step}: validation accuracy {last.Validation[Accuracy]:P2} ({(options.EmaDecay > 0 ? "EMA weights" : "the weights")}); log {run.MetricsLogPath}, chart {chartPath}, checkpoints {run.CheckpointFolder}, best {run.BestFolder}."));
        }
        TrainState.Dispose(result.State);
    }

    /// <summary><c>mnist accumulate</c>: batch-of-B training against batch-of-1 training accumulated B times, printed and charted.</summary>
    static Command Accumulate(CommandContext context)
    {
        var data = Data();
        var batch = Flags.Size("--batch", AccumulateBatch, "B: the large batch, and the micro-batches accumulated", Sizes.Batch);
        var updates = Flags.Count("--updates", AccumulateUpdates, "updates compared");
        var output = Flags.Folder("--out", DefaultOutDirectory, "receives accumulation.png");
        var threads = LibtorchThreads.Option(0);
        var device = Devices.Option();
        var command = new Command("accumulate", "Adam with batch B against Accumulate(Adam, B) fed one example at a time: losses, parameter distance, chart")
        {
            data, batch, updates, output, threads, device,
        };
        Flags.CheckPaths(command, data, output);
        command.SetAction(parsed =>
        {
            var (b, n, folder) = (parsed.GetValue(batch), parsed.GetValue(updates), parsed.GetValue(output)!);
            using var loaded = MnistSplit.Load(parsed.GetValue(data)!, MnistTrainingOptions.Default.ValidationCount);
            using var split = loaded.To(Devices.Parse(parsed.GetValue(device)!));
            var say = context.Output;
            say.WriteLine($"Adam with batch {b} against Accumulate(Adam, {b}) with batch 1, {n} updates:");
            var comparison = AccumulationDemo.Run(split.Train, Functional.Optimizers.Optimizer.Adam(1e-3), hidden: MnistTrainingOptions.Default.Hidden, b, n, seed: 1);
            say.WriteLine("update  loss (batch " + b + ")  loss (1 x " + b + ")  max |parameter difference|");
            for (var u = 0; u < n; u++)
                say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{u + 1,6}  {comparison.LargeBatchLoss[u],16:F6}  {comparison.AccumulatedLoss[u],16:F6}  {comparison.MaxParameterDifference[u],12:0.00E+00}"));
            say.WriteLine(string.Create(CultureInfo.InvariantCulture, $"largest change of a parameter over the run {comparison.ParameterMovement:F4}"));
            Directory.CreateDirectory(folder);
            var chart = Path.Combine(folder, "accumulation.png");
            var x = Enumerable.Range(1, n).Select(u => (double)u).ToArray();
            Charts.Lines(chart, $"Batch {b} vs batch 1 accumulated {b} times", "update", "loss",
                [new ChartSeries($"batch {b}", x, comparison.LargeBatchLoss), new ChartSeries($"1 x {b} accumulated", x, comparison.AccumulatedLoss)]);
            say.WriteLine($"chart {chart}");
        });
        return command;
    }
}
