using Functional.Training;

namespace Functional.Distributed;

/// <summary>
/// Forwards every call to <see cref="Observers"/>, telling them why a data-parallel fit stopped. The ranks stop
/// together through a cancellation they agree on (<see cref="DataParallelFit"/>), so the loop reports every early
/// stop as <see cref="FitEnd.Cancelled"/>; this observer replaces that by <see cref="Reason"/>'s answer (a time budget
/// that ran out is <see cref="FitEnd.OutOfTime"/>, as in one process) in <see cref="EpochStepsEnd.Interruption"/> and
/// <see cref="EpochEnd{TParams, TModelState}.End"/>. Every other value passes unchanged.
/// </summary>
/// <param name="Observers">The observers told.</param>
/// <param name="Reason">Why the agreed cancellation happened, asked when a stop is reported.</param>
public sealed record StopReasonObserver(IReadOnlyList<IFitObserver> Observers, Func<FitEnd> Reason) : IFitObserver
{
    /// <inheritdoc />
    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start)
    {
        foreach (var observer in Observers) observer.FitStarted(start);
    }

    /// <inheritdoc />
    public void EpochStarted(EpochStart start)
    {
        foreach (var observer in Observers) observer.EpochStarted(start);
    }

    /// <inheritdoc />
    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step)
    {
        foreach (var observer in Observers) observer.StepFinished(step);
    }

    /// <inheritdoc />
    public void EpochStepsFinished(EpochStepsEnd end)
    {
        var told = end.Interruption == FitEnd.Cancelled ? end with { Interruption = Reason() } : end;
        foreach (var observer in Observers) observer.EpochStepsFinished(told);
    }

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        var told = end.End == FitEnd.Cancelled ? end with { End = Reason() } : end;
        var decision = FitDecision.Continue;
        foreach (var observer in Observers)
            if (observer.EpochFinished(told) == FitDecision.Stop) decision = FitDecision.Stop;
        return decision;
    }
}
