using System.Globalization;

namespace Functional.Models;

/// <summary>The <c>mnist</c> commands.</summary>
public static class MnistCommands
{
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
            d.ValidationCount, arguments.Number("ema", d.EmaDecay), arguments.Integer("workers", d.Workers), arguments.Integer("seed", d.Seed));
        var output = arguments.Text("out", "runs/mnist");
        var checkpointEvery = arguments.Integer("checkpoint-every", 0);
        arguments.CheckAllUsed();
        using var runLock = RunFolderLock.Acquire(output);
        var store = new CheckpointStore(Path.Combine(output, "checkpoints"), keepLast: 3);
        var resumed = store.Steps() is { Count: > 0 } steps ? $", resuming from step {steps[^1]}" : "";
        Console.WriteLine($"Training a digit classifier on {options.DataDirectory} ({options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, batch {options.BatchSize}{resumed}).");
        var fit = FitOptions.Default with
        {
            Epochs = options.Epochs,
            Checkpoints = store,
            CheckpointEverySteps = checkpointEvery,
            Progress = Console.Out,
            InteractiveProgress = !Console.IsOutputRedirected,
            LogPath = Path.Combine(output, "metrics.jsonl"),
            ChartPath = Path.Combine(output, "loss.png"),
        };
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var result = MnistTraining.Run(options, fit, cancel.Token);
        if (result.History.Count == 0) Console.WriteLine($"Nothing to do: the checkpoint in {store.Folder} has finished {options.Epochs} epochs.");
        else
        {
            var last = result.History[^1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.End} after step {result.State.Step}: validation accuracy {last.Validation["accuracy"]:P2} (EMA weights); log {fit.LogPath}, chart {fit.ChartPath}, checkpoints {store.Folder}."));
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
        arguments.CheckAllUsed();
        using var split = MnistSplit.Load(data, MnistTrainingOptions.Default.ValidationCount);
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
