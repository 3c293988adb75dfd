using System.Globalization;
using Functional.Core;

namespace Functional.Training;

/// <summary>
/// A training run in a folder, the same code for one process or the ranks of an <c>mpirun</c> job (<see cref="IRunGroup"/>):
/// <see cref="Open"/> takes the folder's lock, removes the leftovers of interrupted writes, opens the checkpoint store and
/// checks the process count the folder was trained with; <see cref="Fit{TParams, TModelState, TBatch}"/> resumes from the newest
/// checkpoint that loads or starts afresh, gives every process the root's state, checks the data position and the disk
/// room, and fits with the metrics log, the user's observers, the best validations by a metric and the checkpoints.
/// Between the two, a model does what needs the folder held (a vocabulary fixed by the first invocation, say).
/// </summary>
/// <remarks>
/// The root (rank 0) alone holds the lock and writes: the checkpoints, <c>metrics.jsonl</c>, <c>best/</c> and
/// <c>ranks.txt</c>; every process computes. A resumed run continues the uninterrupted one bit for bit (the data
/// position, random state, optimizer state and model state are in the checkpoint).
/// </remarks>
public sealed class FolderRun : IDisposable
{
    readonly RunFolderLock? folderLock;

    FolderRun(RunOptions options, IRunGroup group, RunFolderLock? folderLock, CheckpointStore? store, BestCheckpoints? best)
    {
        Options = options;
        Group = group;
        this.folderLock = folderLock;
        Store = store;
        Best = best;
    }

    /// <summary>
    /// Opens the run in <see cref="RunOptions.Folder"/> for <paramref name="group"/>: on the root, takes the folder's lock
    /// (<see cref="RunFolderLock"/>), removes the temporary files of interrupted writes (<see cref="AtomicFile.RemoveLeftovers"/>,
    /// saying so), opens the checkpoint store and the best folder (emptied first on a restart); then every process checks
    /// the process count the folder was trained with (<see cref="IRunGroup.CheckRankCount"/>). Dispose it to release the lock.
    /// </summary>
    /// <exception cref="RunFolderInUseException">Another run holds the folder.</exception>
    /// <exception cref="InvalidOperationException">The folder was trained with another process count, or its record is damaged.</exception>
    public static FolderRun Open(RunOptions options, IRunGroup group)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(group);
        if (options.Best is { } by) Problems.ThrowIfAny(BestCheckpoints.Validate(options.BestFolder, by.Monitor, by.KeepBest));
        var folderLock = group.IsRoot ? RunFolderLock.Acquire(options.Folder) : null;
        try
        {
            CheckpointStore? store = null;
            BestCheckpoints? best = null;
            if (group.IsRoot)
            {
                foreach (var leftover in AtomicFile.RemoveLeftovers(options.Folder))
                    options.Output.WriteLine($"Removed {leftover}, the temporary file of a write that was interrupted.");
                store = new CheckpointStore(options.CheckpointFolder, options.KeepCheckpoints);
                if (options.Restart && Directory.Exists(options.BestFolder)) Directory.Delete(options.BestFolder, recursive: true);
                if (options.Best is { } b) best = new BestCheckpoints(options.BestFolder, b.Monitor, b.Minimize, b.KeepBest);
            }
            group.CheckRankCount(store?.Folder, hasCheckpoints: store is not null && !options.Restart && store.Steps().Count > 0);
            return new FolderRun(options, group, folderLock, store, best);
        }
        catch
        {
            folderLock?.Dispose();
            throw;
        }
    }

    /// <summary>How the folder is kept.</summary>
    public RunOptions Options { get; }

    /// <summary>The processes training the run.</summary>
    public IRunGroup Group { get; }

    /// <summary>Whether this process is the root, which writes the folder.</summary>
    public bool IsRoot => Group.IsRoot;

    /// <summary>The root's messages (<see cref="RunOptions.Output"/>); nothing on the other ranks.</summary>
    public TextWriter Output => IsRoot ? Options.Output : TextWriter.Null;

    /// <summary>The checkpoint store (the root's; null on the other ranks).</summary>
    public CheckpointStore? Store { get; }

    /// <summary>The best validations kept by <see cref="RunOptions.Best"/> (the root's; null on the other ranks or without <see cref="RunOptions.Best"/>).</summary>
    public BestCheckpoints? Best { get; }

    /// <summary>Whether the run resumes: the root's folder holds checkpoint files and no restart was asked for (false on the other ranks).</summary>
    public bool Resuming => Store is not null && !Options.Restart && Store.AllSteps().Count > 0;

    /// <summary>
    /// Trains <paramref name="plan"/>: from the newest checkpoint that loads (the root reads it; damaged newer ones are
    /// set aside and named) or afresh, the root's state broadcast to every process; refuses a checkpoint whose data
    /// position lies beyond an epoch of <see cref="RunPlan{TParams, TModelState, TBatch}.Data"/> (other data or batch size); requires
    /// room on the disk for the checkpoints and a kept model before any work; then fits, the root running the metrics log
    /// (<see cref="RunOptions.MetricsLogPath"/>), the user's observers, the best validations (<see cref="RunOptions.Best"/>,
    /// then <see cref="RunPlan{TParams, TModelState, TBatch}.KeepBestModel"/>) and the checkpoint observer, in that order.
    /// </summary>
    /// <returns>The fit's result; the caller owns its state (the same on every process). The plan's tensors stay the caller's.</returns>
    /// <exception cref="InvalidDataException">The checkpoints are all damaged or of another model, or the resumed position does not fit the data (nothing is changed).</exception>
    /// <exception cref="NotEnoughSpaceException">The disk has no room for the run's checkpoints (on the root).</exception>
    public FitResult<TParams, TModelState> Fit<TParams, TModelState, TBatch>(RunPlan<TParams, TModelState, TBatch> plan, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var start = TrainStateFile.ResumeOrInit(Store, plan.Fresh, plan.FreshModelState, plan.Optimizer, plan.Seed, Options.Restart && IsRoot);
        var state = start.State;
        try
        {
            var common = Group.Broadcast(state);
            if (!ReferenceEquals(common, state))
            {
                TrainState.Dispose(state);
                state = common;
            }
            if (state.Position.Batch > plan.Data.BatchesPerEpoch)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"The checkpoint of step {start.FromStep} in {Options.CheckpointFolder} is at batch {state.Position.Batch} of epoch {state.Position.Epoch + 1}, but the data gives {plan.Data.BatchesPerEpoch} batches an epoch: the run was started with other data or another batch size. Resume with those, or train into another folder. Nothing was changed."));
            if (start.FromStep is not null || start.Notes.Count > 0)
                Output.WriteLine(start.Describe() + (start.FromStep is not null ? string.Create(CultureInfo.InvariantCulture, $" It continues at epoch {state.Position.Epoch + 1}, batch {state.Position.Batch}.") : ""));
            // Room for the checkpoints at their peak and a kept model (parameters and model state), before any work a full disk would lose.
            if (Store is not null)
                TrainStateFile.RequireRoom(Store, state, Tree.Flatten(state.Parameters).Concat(Tree.Flatten(state.ModelState)).Sum(leaf => leaf.Value.numel() * leaf.Value.element_size()) + (64 << 10));
            var fit = plan.Fit with { Observers = IsRoot ? Observers(plan) : [] };
            var result = Group.Fit(new GroupFit<TParams, TModelState, TBatch>(plan.Model, plan.Optimizer, state, plan.Data, plan.Validate, fit) { CheckpointEverySteps = Options.CheckpointEverySteps, Step = plan.Step }, cancellation);
            if (!ReferenceEquals(result.State, state)) TrainState.Dispose(state);
            return result;
        }
        catch
        {
            TrainState.Dispose(state);
            throw;
        }
    }

    /// <summary>The root's observers: the metrics log, the user's, the best validations and the model kept with them, the checkpoints.</summary>
    IReadOnlyList<IFitObserver> Observers<TParams, TModelState, TBatch>(RunPlan<TParams, TModelState, TBatch> plan)
    {
        var withEma = plan.Fit.EvaluateWithEma;
        IEnumerable<IFitObserver> best = Best is null ? []
            : plan.KeepBestModel is null ? [new BestCheckpointObserver(Best) { WithEma = withEma, Output = Output }]
            : [new BestCheckpointObserver(Best) { WithEma = withEma, Output = Output }, new KeptModelObserver<TParams, TModelState>(Best, withEma, plan.KeepBestModel)];
        return [new MetricsLogObserver(Options.MetricsLogPath) { Warnings = Output }, .. plan.Fit.Observers, .. best, new CheckpointObserver(Store!, Options.CheckpointEverySteps)];
    }

    /// <summary>Releases the folder's lock (the root's).</summary>
    public void Dispose() => folderLock?.Dispose();
}
