namespace Functional.Training;

/// <summary>
/// Watches a <see cref="Fit.Run{TParams, TModelState, TBatch}"/>: progress bars, logs, charts, checkpoints and callbacks are
/// observers, so the fit loop itself writes nothing and draws nothing. Every member has an empty default; an
/// observer overrides what it needs.
/// </summary>
/// <remarks>
/// Contract: the fit calls <see cref="FitStarted{TParams, TModelState}"/> once, then per epoch <see cref="EpochStarted"/>,
/// <see cref="StepFinished{TParams, TModelState}"/> after every step, <see cref="EpochStepsFinished"/> when the epoch's steps stop
/// (before validation), <see cref="EpochFinished{TParams, TModelState}"/> after validation; observers are called in list order.
/// The states an observer receives belong to the fit: read or save them, never dispose them or keep them past the
/// call. An exception from an observer ends the fit with that exception.
/// </remarks>
public interface IFitObserver
{
    /// <summary>The fit begins at <paramref name="start"/>'s state (a fresh one or one resumed from a checkpoint).</summary>
    void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start) { }

    /// <summary>An epoch's steps begin.</summary>
    void EpochStarted(EpochStart start) { }

    /// <summary>A training step is done; <paramref name="step"/> holds the state after it and its metrics.</summary>
    void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step) { }

    /// <summary>The epoch's steps are over (all of them, or the fit is stopping); validation comes next.</summary>
    void EpochStepsFinished(EpochStepsEnd end) { }

    /// <summary>The epoch is validated and reported; returning <see cref="FitDecision.Stop"/> ends the fit after it.</summary>
    FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end) => FitDecision.Continue;
}

/// <summary>The start of a fit.</summary>
/// <param name="State">The state the fit starts from.</param>
/// <param name="Epochs">The epoch count the fit runs to.</param>
/// <param name="BatchesPerEpoch">Steps in a full epoch.</param>
public sealed record FitStart<TParams, TModelState>(TrainState<TParams, TModelState> State, int Epochs, int BatchesPerEpoch);

/// <summary>The start of an epoch's steps.</summary>
/// <param name="Epoch">The 0-based epoch.</param>
/// <param name="Epochs">The epoch count the fit runs to.</param>
/// <param name="BatchesPerEpoch">Steps in a full epoch.</param>
/// <param name="FirstBatch">The batch it starts at (above 0 when a run resumes inside the epoch).</param>
public sealed record EpochStart(int Epoch, int Epochs, int BatchesPerEpoch, int FirstBatch);

/// <summary>A finished training step.</summary>
/// <param name="State">The state after the step (its <see cref="TrainState{TParams, TModelState}.Step"/> and position count this step).</param>
/// <param name="Epoch">The 0-based epoch of the step.</param>
/// <param name="BatchesPerEpoch">Steps in a full epoch.</param>
/// <param name="Metrics">The step's metrics (<see cref="TrainingSteps.LossName"/> and the model's own).</param>
/// <param name="Elapsed">Time since the fit started.</param>
public sealed record StepEnd<TParams, TModelState>(TrainState<TParams, TModelState> State, int Epoch, int BatchesPerEpoch, IReadOnlyDictionary<string, double> Metrics, TimeSpan Elapsed)
{
    /// <summary>
    /// The learning rate of the pipeline's next update (<see cref="Functional.Optimizers.Optimizer.LearningRate"/>), or
    /// null when the pipeline has no learning-rate schedule the fit can read.
    /// </summary>
    public double? LearningRate { get; init; }

    /// <summary>
    /// The learning rate this step's update applied, read from the state before the step (so, after a
    /// <see cref="Functional.Optimizers.ReduceOnPlateau"/> drop, the reduced rate); null when the fit cannot read one.
    /// </summary>
    public double? AppliedLearningRate { get; init; }
}

/// <summary>The end of an epoch's steps.</summary>
/// <param name="Epoch">The 0-based epoch.</param>
/// <param name="StepsRun">Steps this run took in the epoch.</param>
/// <param name="BatchReached">The batch position reached (the batch count when the epoch completed).</param>
/// <param name="Interruption">Why the steps stopped early (<see cref="FitEnd.Cancelled"/> or <see cref="FitEnd.OutOfTime"/>), or <see cref="FitEnd.Completed"/> when the epoch ran to its end.</param>
public sealed record EpochStepsEnd(int Epoch, int StepsRun, int BatchReached, FitEnd Interruption);

/// <summary>An epoch validated and reported.</summary>
/// <param name="State">The state at the end of the epoch (its position is the next epoch's start when the epoch completed).</param>
/// <param name="Report">The epoch's means, validation metrics and time.</param>
/// <param name="End">Why the fit would end here so far (<see cref="FitEnd.Completed"/>: it goes on unless an observer stops it).</param>
public sealed record EpochEnd<TParams, TModelState>(TrainState<TParams, TModelState> State, EpochReport Report, FitEnd End);
