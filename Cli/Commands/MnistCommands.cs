using System.Globalization;
using Functional.Models.Digits;
using Functional.Reporting;
using Functional.Training;

namespace Functional.Cli;

/// <summary>The <c>mnist</c> commands.</summary>
public sealed class MnistCommands : ICommandFamily
{
    /// <inheritdoc />
    public string Name => "mnist";

    /// <inheritdoc />
    public string Usage => """
          mnist    train a digit classifier on MNIST t10k with the fit loop (Adam, warm-up + cosine, EMA validation);
                   progress bar, metrics.jsonl, loss.png and checkpoints in --out; resumes from its newest checkpoint
                   --data DIR (../shared/data/mnist-t10k)  --out DIR (runs/mnist)  --epochs N (10)  --batch N (64)
                   --learning-rate X (0.002)  --hidden N (256)  --dropout X (0.2)  --ema X (0.99)  --workers N (2)  --seed N (1)
                   --checkpoint-every N (0: at epoch ends only)  --device NAME (cpu; cuda, cuda:N where libtorch sees a GPU)
          mnist accumulate
                   Adam with batch B against Accumulate(Adam, B) fed one example at a time: losses, parameter distance, chart
                   --data DIR  --batch B (100)  --updates N (30)  --out DIR (runs/mnist)  --device NAME (cpu)
        """;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Func<Arguments, int>> Commands { get; } = new Dictionary<string, Func<Arguments, int>>
    {
            [""] = Train,
            ["accumulate"] = Accumulate,
    };

    /// <summary>
    /// Trains the digit classifier with the fit loop: progress bar, JSON-lines log, loss chart and checkpoints in
    /// the output folder. A folder that already holds checkpoints is resumed from its newest.
    /// </summary>
    public static int Train(Arguments arguments)
    {
        var d = MnistTrainingOptions.Default;
        var options = new MnistTrainingOptions(
            arguments.Text("data", d.DataDirectory), arguments.Integer("epochs", d.Epochs), arguments.Integer("batch", d.BatchSize),
            arguments.Number("learning-rate", d.LearningRate), arguments.Integer("hidden", d.Hidden), arguments.Number("dropout", d.DropoutRate),
            d.ValidationCount, arguments.Number("ema", d.EmaDecay), arguments.Integer("workers", d.Workers), arguments.Integer("seed", d.Seed))
            { Device = arguments.Device() };
        var output = arguments.Text("out", "runs/mnist");
        var checkpointEvery = arguments.Integer("checkpoint-every", 0);
        arguments.CheckAllUsed();
        using var runLock = RunFolderLock.Acquire(output);
        var store = new CheckpointStore(Path.Combine(output, "checkpoints"), keepLast: 3);
        var resumed = store.Steps() is { Count: > 0 } steps ? $", resuming from step {steps[^1]}" : "";
        Console.WriteLine($"Training a digit classifier on {options.DataDirectory} ({options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, batch {options.BatchSize}{resumed}).");
        var logPath = Path.Combine(output, "metrics.jsonl");
        var chartPath = Path.Combine(output, "loss.png");
        var log = new MetricsLogObserver(logPath);
        using var progress = ProgressObserver.Console();
        var fit = new FitOptions { Epochs = options.Epochs, Observers = [log, progress, new LossChartObserver(chartPath, logPath)] };
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var result = MnistTraining.Run(options, fit, store, checkpointEvery, cancel.Token);
        if (result.History.Count == 0) Console.WriteLine($"Nothing to do: the checkpoint in {store.Folder} has finished {options.Epochs} epochs.");
        else
        {
            var last = result.History[^1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.End} after step {result.State.Step}: validation accuracy {last.Validation["accuracy"]:P2} (EMA weights); log {logPath}, chart {chartPath}, checkpoints {store.Folder}."));
        }
        TrainState.Dispose(result.State);
        return 0;
    }

    /// <summary>Prints and charts batch-of-B training against batch-of-1 training accumulated B times.</summary>
    public static int Accumulate(Arguments arguments)
    {
        var data = arguments.Text("data", MnistTrainingOptions.Default.DataDirectory);
        var batch = arguments.Integer("batch", 100);
        var updates = arguments.Integer("updates", 30);
        var output = arguments.Text("out", "runs/mnist");
        var device = arguments.Device();
        arguments.CheckAllUsed();
        using var loaded = MnistSplit.Load(data, MnistTrainingOptions.Default.ValidationCount);
        using var split = loaded.To(device);
        Console.WriteLine($"Adam with batch {batch} against Accumulate(Adam, {batch}) with batch 1, {updates} updates:");
        var comparison = AccumulationDemo.Run(split.Train, Functional.Optimizers.Optimizer.Adam(1e-3), hidden: 256, batch, updates, seed: 1);
        Console.WriteLine("update  loss (batch " + batch + ")  loss (1 x " + batch + ")  max |parameter difference|");
        for (var u = 0; u < updates; u++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{u + 1,6}  {comparison.LargeBatchLoss[u],16:F6}  {comparison.AccumulatedLoss[u],16:F6}  {comparison.MaxParameterDifference[u],12:0.00E+00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"largest change of a parameter over the run {comparison.ParameterMovement:F4}"));
        Directory.CreateDirectory(output);
        var chart = Path.Combine(output, "accumulation.png");
        var x = Enumerable.Range(1, updates).Select(u => (double)u).ToArray();
        Charts.Lines(chart, $"Batch {batch} vs batch 1 accumulated {batch} times", "update", "loss",
            [new ChartSeries($"batch {batch}", x, comparison.LargeBatchLoss), new ChartSeries($"1 x {batch} accumulated", x, comparison.AccumulatedLoss)]);
        Console.WriteLine($"chart {chart}");
        return 0;
    }
}
