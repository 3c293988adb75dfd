namespace Functional.Training;

/// <summary>
/// A run's training data as global batches of example indices, before any process takes its share: an
/// <see cref="IRunGroup"/> cuts each global batch for its processes (<see cref="IRunGroup.Share"/>) and loads the share
/// with <see cref="Load"/>, so the model's code is the same for one process or many.
/// </summary>
/// <param name="BatchesPerEpoch">Global batches in every epoch (the length of every <paramref name="EpochPlan"/>).</param>
/// <param name="EpochPlan">The global batches of an epoch (0-based), each a list of example indices; the same on every process.</param>
/// <param name="Load">Makes a batch from example indices (on the training device); the fit releases it when it is disposable.</param>
public sealed record RunData<TBatch>(int BatchesPerEpoch, Func<int, IReadOnlyList<int[]>> EpochPlan, Func<int[], TBatch> Load)
{
    /// <summary>Threads that load batches ahead of the step (<see cref="BatchLoader"/>); the batches are the same for any number.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Batches loaded ahead of the step.</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>
    /// This process's batches: <paramref name="share"/> of every epoch's plan, loaded by <see cref="Workers"/> threads from
    /// the data position on. The loader is not given a stop request: a stop ends the fit after the current step (which
    /// checkpoints there), and leaving the loop stops the workers.
    /// </summary>
    public TrainingData<TBatch> Batches(Func<IReadOnlyList<int[]>, IReadOnlyList<int[]>> share)
    {
        ArgumentNullException.ThrowIfNull(share);
        return new TrainingData<TBatch>(BatchesPerEpoch, position =>
            BatchLoader.Load(share(EpochPlan(position.Epoch)), Load, Workers, Prefetch, position.Batch, CancellationToken.None));
    }
}
