using Functional.Optimizers;
using Functional.Training;

namespace Functional.Distributed;

/// <summary>
/// Runs on every rank of a ZeRO-1 fit around the root's observers: where a checkpoint may be written (see
/// <see cref="ZeroOptions"/>) it gathers the whole optimizer state (a collective call, at the same steps on every rank,
/// since every condition is a function of the common state and the agreed stop) and hands the observers the state with
/// it, so a checkpoint holds exactly the unsharded state. The last gathered state lives until the next gather or
/// <see cref="Dispose"/>, as long as an observer may still save it (an interrupted epoch's last step).
/// </summary>
sealed class ZeroGatheringObserver(ZeroShards zero, IFitObserver inner, ZeroOptions options, Func<bool> stopAgreed) : IFitObserver, IDisposable
{
    object? source;
    object? whole;

    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start) => inner.FitStarted(start);

    public void EpochStarted(EpochStart start) => inner.EpochStarted(start);

    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step)
    {
        var state = step.State;
        var due = (options.GatherEverySteps > 0 && state.Step % options.GatherEverySteps == 0) || state.Position.Batch >= step.BatchesPerEpoch || stopAgreed();
        inner.StepFinished(due ? step with { State = Whole(state) } : step);
    }

    public void EpochStepsFinished(EpochStepsEnd end) => inner.EpochStepsFinished(end);

    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end) => inner.EpochFinished(end with { State = Whole(end.State) });

    /// <summary>The state with the whole optimizer state; one gather per distinct shard (the same object is reused).</summary>
    TrainState<TParams, TModelState> Whole<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        if (!ReferenceEquals(state.OptimizerState, source))
        {
            var gathered = zero.Gather(state.OptimizerState);
            Release();
            (source, whole) = (state.OptimizerState, gathered);
        }
        return state with { OptimizerState = whole! };
    }

    void Release()
    {
        if (whole is not null) foreach (var tensor in OptimizerStates.Tensors(whole)) tensor.Dispose();
        (source, whole) = (null, null);
    }

    /// <summary>Releases the last gathered state.</summary>
    public void Dispose() => Release();
}
