using Functional.Training;

namespace Functional.Distributed;

/// <summary>
/// The observers of a data-parallel fit, run on the root rank only (progress, logs, charts, checkpoints are written
/// once), given to the fit on every rank: at each epoch's end the root's decision (any observer asking to stop) is
/// broadcast, so every rank stops after the same epoch.
/// </summary>
/// <param name="Communicator">The job.</param>
/// <param name="Observers">The observers; called on the root, in order, ignored on the other ranks.</param>
public sealed record RootObserver(Communicator Communicator, IReadOnlyList<IFitObserver> Observers) : IFitObserver
{
    /// <inheritdoc />
    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start) => OnRoot(o => o.FitStarted(start));

    /// <inheritdoc />
    public void EpochStarted(EpochStart start) => OnRoot(o => o.EpochStarted(start));

    /// <inheritdoc />
    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step) => OnRoot(o => o.StepFinished(step));

    /// <inheritdoc />
    public void EpochStepsFinished(EpochStepsEnd end) => OnRoot(o => o.EpochStepsFinished(end));

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        var stop = false;
        if (Communicator.IsRoot)
            foreach (var observer in Observers)
                stop |= observer.EpochFinished(end) == FitDecision.Stop;
        Span<long> decision = [stop ? 1 : 0];
        Communicator.Broadcast(decision, 0);
        return decision[0] != 0 ? FitDecision.Stop : FitDecision.Continue;
    }

    void OnRoot(Action<IFitObserver> call)
    {
        if (!Communicator.IsRoot) return;
        foreach (var observer in Observers) call(observer);
    }
}
