using Functional.Core;
using Functional.Distributed;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Digits;

/// <summary>
/// Trains <see cref="ConvDigitClassifier"/> as <see cref="MnistTraining"/> trains the perceptron (the same data,
/// batches, optimizer pipeline and checkpoints), with its batch-norm statistics as the model state of the train
/// state: updated by every training step, saved and resumed with the checkpoints, read by validation.
/// </summary>
public static class ConvMnistTraining
{
    /// <summary>
    /// Validation loss and accuracy on <paramref name="validation"/> in batches of 500, normalised with the given model
    /// state's running statistics (which it leaves unchanged).
    /// </summary>
    public static Func<ConvDigitClassifier, ModelState, IReadOnlyDictionary<string, double>> Validation(DigitBatch validation)
    {
        var count = (int)validation.Digits.shape[0];
        return (parameters, state) => TrainingSteps.Evaluate<ConvDigitClassifier, DigitBatch>(ConvDigitClassifier.Model, parameters, state,
            Enumerable.Range(0, (count + 499) / 500).Select(b => DigitBatch.Gather(validation.Pixels, validation.Digits,
                Enumerable.Range(b * 500, Math.Min(500, count - b * 500)).ToArray())));
    }

    /// <summary>
    /// Trains from a fresh classifier (<see cref="MnistTrainingOptions.ConvChannels"/> wide) and fresh statistics, or from
    /// the newest checkpoint in <paramref name="checkpoints"/> when it has one (the run then continues exactly where it
    /// stopped, statistics included), saving there after every epoch and every <paramref name="checkpointEverySteps"/>
    /// steps (0: epoch ends only). With a <paramref name="communicator"/>, data-parallel over its ranks as
    /// <see cref="MnistTraining.Run(MnistTrainingOptions, FitOptions, CheckpointStore?, int, Communicator?, CancellationToken, Action{string}?)"/>:
    /// each rank normalises with its own shard's statistics, and the running statistics are averaged over the ranks
    /// after every step (<see cref="DataParallel"/>). <c>onStart</c>, when given, is told where the run starts.
    /// </summary>
    public static FitResult<ConvDigitClassifier> Run(MnistTrainingOptions options, FitOptions fit, CheckpointStore? checkpoints, int checkpointEverySteps, Communicator? communicator, CancellationToken cancellation, Action<string>? onStart = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fit);
        if (communicator is not null) return RunDataParallel(options, fit, checkpoints, checkpointEverySteps, communicator, cancellation, onStart);
        var device = options.Device ?? torch.get_default_device();
        using var data = MnistTraining.OnDevice(MnistSplit.Load(options.DataDirectory, options.ValidationCount), device);
        var training = MnistTraining.Data(data.Train, options.BatchSize, options.Seed, options.Workers);
        var pipeline = MnistTraining.Pipeline(options, training.BatchesPerEpoch);
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var fresh = ConvDigitClassifier.Init(generator, options.ConvChannels, options.DropoutRate, device);
        var freshStats = ConvDigitClassifier.InitStats(fresh);
        var start = TrainStateFile.ResumeOrInit(checkpoints, fresh, ModelState.Of(freshStats), pipeline, (ulong)options.Seed, options.Restart);
        onStart?.Invoke(start.Describe());
        var state = start.State;
        Tree.Dispose(fresh);
        Tree.Dispose(freshStats);
        if (checkpoints is not null) TrainStateFile.RequireRoom(checkpoints, state, extraBytes: 0);
        if (checkpoints is not null) fit = fit with { Observers = [.. fit.Observers, new CheckpointObserver(checkpoints, checkpointEverySteps)] };
        var result = Fit.Run<ConvDigitClassifier, DigitBatch>(ConvDigitClassifier.Model, pipeline, state, training, Validation(data.Validation), fit, cancellation);
        if (!ReferenceEquals(result.State, state)) TrainState.Dispose(state);
        return result;
    }

    static FitResult<ConvDigitClassifier> RunDataParallel(MnistTrainingOptions options, FitOptions fit, CheckpointStore? checkpoints, int checkpointEverySteps, Communicator communicator, CancellationToken cancellation, Action<string>? onStart)
    {
        var store = communicator.IsRoot ? checkpoints : null;
        RankCount.CheckAndRecord(communicator, store?.Folder, hasCheckpoints: store?.Steps().Count > 0);
        var device = options.Device ?? torch.get_default_device();
        using var data = MnistTraining.OnDevice(MnistSplit.Load(options.DataDirectory, options.ValidationCount), device);
        var shards = MnistTraining.ShardedData(data.Train, options.BatchSize, options.Seed, options.Workers, communicator.Rank, communicator.Size);
        var pipeline = MnistTraining.Pipeline(options, shards.BatchesPerEpoch);
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var fresh = ConvDigitClassifier.Init(generator, options.ConvChannels, options.DropoutRate, device);
        var freshStats = ConvDigitClassifier.InitStats(fresh);
        var start = TrainStateFile.ResumeOrInit(store, fresh, ModelState.Of(freshStats), pipeline, (ulong)options.Seed, options.Restart && store is not null);
        if (communicator.IsRoot) onStart?.Invoke(start.Describe());
        var mine = start.State;
        Tree.Dispose(fresh);
        Tree.Dispose(freshStats);
        if (store is not null) TrainStateFile.RequireRoom(store, mine, extraBytes: 0);
        var state = StateSync.Broadcast(communicator, mine);
        TrainState.Dispose(mine);
        if (store is not null) fit = fit with { Observers = [.. fit.Observers, new CheckpointObserver(store, checkpointEverySteps)] };
        var result = DataParallelFit.Run<ConvDigitClassifier, DigitBatch>(communicator, ConvDigitClassifier.Model, pipeline, state, shards, Validation(data.Validation), fit, cancellation);
        if (!ReferenceEquals(result.State, state)) TrainState.Dispose(state);
        return result;
    }
}
