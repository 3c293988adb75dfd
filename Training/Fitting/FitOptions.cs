using Functional.Core;

namespace Functional.Training;

/// <summary>
/// How <see cref="Fit.Run{TParams, TModelState, TBatch}"/> trains and when it stops; what it shows, logs and saves are
/// <see cref="Observers"/>. Every setting has a named default: <c>new FitOptions { Epochs = 10, TimeLimit = ... }</c>.
/// </summary>
public sealed record FitOptions
{
    /// <summary>One silent epoch: no early stopping, no time limit, no observers; EMA validation and the NaN guard on.</summary>
    public static FitOptions Default { get; } = new();

    /// <summary>Epochs to reach (a resumed state continues from its own epoch); at least 1, default 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public int Epochs
    {
        get;
        init => field = Problems.OrThrow(value, ValidateEpochs(value));
    } = 1;

    /// <summary>Stop when a validation metric stops improving; null (the default) never stops early.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Stop (validating and telling the observers as at an epoch end) once this much time has passed; null (the default) has no limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative span.</exception>
    public TimeSpan? TimeLimit
    {
        get;
        init => field = Problems.OrThrow(value, ValidateTimeLimit(value));
    }

    /// <summary>The problems of an epoch count (none when <c>Epochs = epochs</c> succeeds): it must be at least 1.</summary>
    public static IReadOnlyList<Problem> ValidateEpochs(int epochs) => Bounds.AtLeastOne(nameof(Epochs), epochs);

    /// <summary>The problems of a time limit (none when <c>TimeLimit = limit</c> succeeds): null or not negative.</summary>
    public static IReadOnlyList<Problem> ValidateTimeLimit(TimeSpan? limit) =>
        Problems.Unless(limit is not { } span || span >= TimeSpan.Zero, nameof(TimeLimit), limit, "must not be negative");

    /// <summary>Validate with the pipeline's parameter EMA when it keeps one (default true).</summary>
    public bool EvaluateWithEma { get; init; } = true;

    /// <summary>Fail with a clear error at a NaN or infinite training loss instead of training on (default true).</summary>
    public bool StopOnNonFiniteLoss { get; init; } = true;

    /// <summary>Progress, logs, charts, checkpoints and callbacks, called in this order (default none).</summary>
    public IReadOnlyList<IFitObserver> Observers { get; init; } = [];
}
