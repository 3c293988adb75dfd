namespace Functional.Training;

/// <summary>
/// The processes that train one run together, as <see cref="FolderRun"/> sees them: one process
/// (<see cref="SingleProcess"/>), or the ranks of an <c>mpirun</c> job (the MPI implementation lives in
/// <c>Functional.Distributed</c>, so a library that trains a model needs no MPI binding). Every member is called on every
/// process of the group, in the same order.
/// </summary>
/// <remarks>
/// An extension point in the sense of the style guide: a small interface without default members that an F# object
/// expression can implement. An implementation must make every process return, or every process throw: a process left
/// waiting for the others would hang the job.
/// </remarks>
public interface IRunGroup
{
    /// <summary>This process's rank, 0 .. <see cref="Size"/> - 1.</summary>
    int Rank { get; }

    /// <summary>The number of processes.</summary>
    int Size { get; }

    /// <summary>Whether this process is rank 0, the one that holds the run folder's lock and writes its files.</summary>
    bool IsRoot { get; }

    /// <summary>
    /// Checks on every process that the checkpoint folder may continue with <see cref="Size"/> processes and records the
    /// count there (<see cref="RankCountRecord"/>); every process throws, or none does.
    /// </summary>
    /// <param name="checkpointFolder">The root's checkpoint folder (null on the other ranks).</param>
    /// <param name="hasCheckpoints">Whether the root's folder holds checkpoints (a resume; false on the other ranks).</param>
    /// <exception cref="InvalidOperationException">The folder was trained with another count, or its record is damaged.</exception>
    void CheckRankCount(string? checkpointFolder, bool hasCheckpoints);

    /// <summary>
    /// The root's <paramref name="state"/> on every process, checked to be the same. The other processes' state gives
    /// only the structure (a fresh one of the same model and pipeline). Returns <paramref name="state"/> itself in one
    /// process, else fresh tensors the caller owns; <paramref name="state"/> stays the caller's either way.
    /// </summary>
    /// <exception cref="InvalidOperationException">The processes' states differ in structure.</exception>
    TrainState<TParams, TModelState> Broadcast<TParams, TModelState>(TrainState<TParams, TModelState> state);

    /// <summary>This process's share of each global batch of <paramref name="globalBatches"/> (example indices), in order; one process: the batches themselves.</summary>
    IReadOnlyList<int[]> Share(IReadOnlyList<int[]> globalBatches);

    /// <summary>
    /// Runs the fit of <paramref name="fit"/> on every process (each loading its share of the data) and returns the final
    /// state, the same on every process (the caller owns it). The observers run on the root only.
    /// </summary>
    FitResult<TParams, TModelState> Fit<TParams, TModelState, TBatch>(GroupFit<TParams, TModelState, TBatch> fit, CancellationToken cancellation);

    /// <summary>Returns once every process has called it (nothing to wait for in one process).</summary>
    void Barrier();
}
