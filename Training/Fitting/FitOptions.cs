namespace Functional.Training;

/// <summary>
/// How <see cref="Fit.Run{TParams, TBatch}"/> trains and when it stops; what it shows, logs and saves are
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
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Epochs), value, "A fit runs at least one epoch.");
    } = 1;

    /// <summary>Stop when a validation metric stops improving; null (the default) never stops early.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Stop (validating and telling the observers as at an epoch end) once this much time has passed; null (the default) has no limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative span.</exception>
    public TimeSpan? TimeLimit
    {
        get;
        init => field = value is not { } limit || limit >= TimeSpan.Zero ? value
            : throw new ArgumentOutOfRangeException(nameof(TimeLimit), value, "A time limit is not negative.");
    }

    /// <summary>Validate with the pipeline's parameter EMA when it keeps one (default true).</summary>
    public bool EvaluateWithEma { get; init; } = true;

    /// <summary>Fail with a clear error at a NaN or infinite training loss instead of training on (default true).</summary>
    public bool StopOnNonFiniteLoss { get; init; } = true;

    /// <summary>Progress, logs, charts, checkpoints and callbacks, called in this order (default none).</summary>
    public IReadOnlyList<IFitObserver> Observers { get; init; } = [];
}
