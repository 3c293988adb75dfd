namespace Functional.Training;

/// <summary>
/// Saves the whole train state (<see cref="TrainStateFile"/>) into <see cref="Store"/> at the end of every epoch —
/// also when the fit stops early, runs out of time or is cancelled — and, when <see cref="EverySteps"/> is above 0,
/// every that many steps.
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

    /// <inheritdoc />
    public void StepFinished<TParams>(StepEnd<TParams> step)
    {
        if (EverySteps > 0 && step.State.Step % EverySteps == 0) TrainStateFile.Save(Store, step.State);
    }

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams>(EpochEnd<TParams> end)
    {
        TrainStateFile.Save(Store, end.State);
        return FitDecision.Continue;
    }
}
