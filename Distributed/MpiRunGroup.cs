using Functional.Optimizers;
using Functional.Training;

namespace Functional.Distributed;

/// <summary>
/// The <see cref="IRunGroup"/> of an <c>mpirun</c> job, over a <see cref="Communicator"/>: the rank count is checked and
/// recorded by <see cref="RankCount"/>, the root's state broadcast by <see cref="StateSync"/>, each rank's share of a
/// global batch is its contiguous slice (<see cref="DataParallel.ShardPlan"/>), and the fit is <see cref="DataParallelFit"/>
/// as <see cref="Options"/> say: plain (overlapped or not), exact over micro-shards (<see cref="ExactShares"/>), or exact
/// with ZeRO-1 sharded optimizer state (its whole state gathered for the checkpoints every
/// <see cref="GroupFit{TParams, TModelState, TBatch}.CheckpointEverySteps"/> steps).
/// </summary>
/// <param name="communicator">The job (the caller's; not disposed).</param>
/// <param name="options">How to train data-parallel.</param>
/// <remarks>
/// Under ZeRO-1 a <see cref="FusedAdam"/> pipeline runs as its <see cref="FusedAdam.Staged"/> chain, which can be sharded
/// leaf by leaf (its state is the same, its updates equal the fused kernel's up to float32 rounding): sharded runs equal
/// unsharded runs of the staged chain bit for bit, and each other for any rank count.
/// A plan with a training step of its own (<see cref="GroupFit{TParams, TModelState, TBatch}.Step"/>) is refused: the data-parallel steps reduce the model's gradients themselves.</remarks>
/// <exception cref="ArgumentException">The options have problems (<see cref="DataParallelRunOptions.Problems"/>).</exception>
public sealed class MpiRunGroup(Communicator communicator, DataParallelRunOptions options) : IRunGroup
{
    readonly Communicator communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));

    /// <summary>The plain all-reduce (<see cref="DataParallelRunOptions.Default"/>).</summary>
    public MpiRunGroup(Communicator communicator) : this(communicator, DataParallelRunOptions.Default) { }

    /// <summary>How the fit trains data-parallel.</summary>
    public DataParallelRunOptions Options { get; } = (options ?? throw new ArgumentNullException(nameof(options))).Validated();

    /// <inheritdoc />
    public int Rank => communicator.Rank;

    /// <inheritdoc />
    public int Size => communicator.Size;

    /// <inheritdoc />
    public bool IsRoot => communicator.IsRoot;

    /// <inheritdoc />
    public void CheckRankCount(string? checkpointFolder, bool hasCheckpoints) => RankCount.CheckAndRecord(communicator, checkpointFolder, hasCheckpoints);

    /// <inheritdoc />
    public TrainState<TParams, TModelState> Broadcast<TParams, TModelState>(TrainState<TParams, TModelState> state) => StateSync.Broadcast(communicator, state);

    /// <inheritdoc />
    public IReadOnlyList<int[]> Share(IReadOnlyList<int[]> globalBatches) => DataParallel.ShardPlan(globalBatches, communicator.Rank, communicator.Size);

    /// <inheritdoc />
    public FitResult<TParams, TModelState> Fit<TParams, TModelState, TBatch>(GroupFit<TParams, TModelState, TBatch> fit, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (fit.Step is not null)
            throw new ArgumentException($"A run with a training step of its own (GroupFit.Step) trains in one process: the data-parallel fit of rank {Rank} of {Size} reduces the model's gradients in its own step. Run it without mpirun.", nameof(fit));
        if (!Options.Exact)
            return DataParallelFit.Run(communicator, fit.Model, fit.Optimizer, fit.State, fit.Data.Batches(Share), fit.Validate, fit.Options, Options.Exchange, cancellation);
        var shares = ExactShares.Data(fit.Data.EpochPlan, fit.Data.BatchesPerEpoch, fit.Data.Load, Options.MicroShards, batchesPerUpdate: 1, communicator.Rank, communicator.Size);
        // The fused kernel updates every leaf in one pass, which cannot be cut into shards: ZeRO-1 runs its staged pipeline
        // (the same state, saved and loaded alike; updates equal up to float32 rounding).
        var shardable = fit.Optimizer is FusedAdam fused ? fused.Staged : fit.Optimizer;
        return Options.Zero
            ? DataParallelFit.RunExact(communicator, fit.Model, shardable, fit.State, shares, fit.Validate, fit.Options, cancellation, new ZeroOptions(fit.CheckpointEverySteps))
            : DataParallelFit.RunExact(communicator, fit.Model, fit.Optimizer, fit.State, shares, fit.Validate, fit.Options, cancellation);
    }

    /// <inheritdoc />
    public void Barrier() => communicator.Barrier();
}
