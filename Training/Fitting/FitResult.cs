namespace Functional.Training;

/// <summary>Why a fit ended.</summary>
public enum FitEnd
{
    /// <summary>All epochs ran.</summary>
    Completed,
    /// <summary>The monitored validation metric stopped improving.</summary>
    EarlyStopped,
    /// <summary>A callback asked to stop.</summary>
    StoppedByCallback,
    /// <summary>The time budget ran out.</summary>
    OutOfTime,
    /// <summary>The cancellation token was cancelled.</summary>
    Cancelled,
}

/// <summary>The outcome of a fit.</summary>
/// <param name="State">The final train state (the caller owns it).</param>
/// <param name="History">One report per finished epoch.</param>
/// <param name="End">Why it ended.</param>
public sealed record FitResult<TParams, TModelState>(TrainState<TParams, TModelState> State, IReadOnlyList<EpochReport> History, FitEnd End);
