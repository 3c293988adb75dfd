namespace Functional.Training;

/// <summary>
/// Saves the whole train state (<see cref="TrainStateFile"/>) into <see cref="Store"/> at the end of every epoch —
/// also when the fit stops early, runs out of time or is cancelled — and, when <see cref="EverySteps"/> is above 0,
/// every that many steps. When the steps stop early (a stop request such as Ctrl-C or SIGTERM, or the time budget), the
/// state of the last step is saved as soon as the steps end, before the epoch's validation, so that a process given
/// only seconds before it is killed (a scheduler's grace period, <c>mpirun</c>'s) keeps a checkpoint at its last step.
/// </summary>
public sealed record CheckpointObserver : IFitObserver
{
    /// <summary>Saves into <paramref name="store"/> at epoch ends and every <paramref name="everySteps"/> steps (0: epoch ends only).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="everySteps"/> is negative.</exception>
    public CheckpointObserver(CheckpointStore store, int everySteps = 0)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        EverySteps = everySteps >= 0 ? everySteps
            : throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "The checkpoint interval is 0 (epoch ends only) or positive.");
    }

    /// <summary>Where the states go.</summary>
    public CheckpointStore Store { get; }

    /// <summary>The extra interval in steps (0: epoch ends only).</summary>
    public int EverySteps { get; }

    // The last step's state (alive until the fit's next step, which an interruption prevents) and the state last saved:
    // a state saved already (every N steps, or early at an interruption) is not written again at the epoch's end.
    Action? saveLast;
    object? saved;

    /// <inheritdoc />
    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var state = step.State;
        saveLast = () => Save(state);
        if (EverySteps > 0 && state.Step % EverySteps == 0) Save(state);
    }

    /// <inheritdoc />
    public void EpochStepsFinished(EpochStepsEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        if (end.Interruption != FitEnd.Completed) saveLast?.Invoke();
        saveLast = null;
    }

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        ArgumentNullException.ThrowIfNull(end);
        if (!ReferenceEquals(end.State, saved)) Save(end.State);
        saved = null;
        return FitDecision.Continue;
    }

    void Save<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        if (ReferenceEquals(state, saved)) return;
        TrainStateFile.Save(Store, state);
        saved = state;
    }
}
