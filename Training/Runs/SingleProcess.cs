namespace Functional.Training;

/// <summary>The <see cref="IRunGroup"/> of a run in one process: rank 0 of 1, whose share of a batch is the batch, and whose fit is <see cref="Fit.Run{TParams, TModelState, TBatch}"/>.</summary>
public sealed class SingleProcess : IRunGroup
{
    SingleProcess() { }

    /// <summary>The one instance.</summary>
    public static SingleProcess Instance { get; } = new();

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public bool IsRoot => true;

    /// <inheritdoc />
    public void CheckRankCount(string? checkpointFolder, bool hasCheckpoints)
    {
        if (checkpointFolder is not null) RankCountRecord.CheckSingleProcess(checkpointFolder, hasCheckpoints);
    }

    /// <inheritdoc />
    public TrainState<TParams, TModelState> Broadcast<TParams, TModelState>(TrainState<TParams, TModelState> state) => state ?? throw new ArgumentNullException(nameof(state));

    /// <inheritdoc />
    public IReadOnlyList<int[]> Share(IReadOnlyList<int[]> globalBatches) => globalBatches ?? throw new ArgumentNullException(nameof(globalBatches));

    /// <inheritdoc />
    public FitResult<TParams, TModelState> Fit<TParams, TModelState, TBatch>(GroupFit<TParams, TModelState, TBatch> fit, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return fit.Step is { } step
            ? Functional.Training.Fit.RunSteps(step, fit.Optimizer, fit.State, fit.Data.Batches(Share), fit.Validate, fit.Options, cancellation)
            : Functional.Training.Fit.Run(fit.Model, fit.Optimizer, fit.State, fit.Data.Batches(Share), fit.Validate, fit.Options, cancellation);
    }

    /// <inheritdoc />
    public void Barrier() { }
}
