namespace Functional.Models;

/// <summary>How <see cref="Fit.Run{TParams, TBatch}"/> trains, reports and saves. Every part except the epoch count is optional.</summary>
/// <param name="Epochs">Epochs to reach (a resumed state continues from its own epoch).</param>
/// <param name="EarlyStopping">Stop when a validation metric stops improving; null never stops early.</param>
/// <param name="Checkpoints">Where the train state is saved at the end of every epoch and of the fit; null saves nothing.</param>
/// <param name="CheckpointEverySteps">Also save every this many steps (0: only at epoch ends).</param>
/// <param name="Progress">Where the progress bar is drawn; null draws none.</param>
/// <param name="InteractiveProgress">Redraw the bar in place (a terminal) or write plain lines (redirected output).</param>
/// <param name="StatefulMetrics">Training metrics shown as is in the bar (a learning rate); all others show their running mean.</param>
/// <param name="LogPath">A JSON-lines file receiving every step's and every validation's metrics; null logs nothing.</param>
/// <param name="ChartPath">A PNG redrawn after each epoch with the training and validation loss curves; null draws none.</param>
/// <param name="TimeLimit">Stop (validating and saving as at an epoch end) once this much time has passed; null has no limit.</param>
/// <param name="EvaluateWithEma">Validate with the pipeline's parameter EMA when it keeps one.</param>
/// <param name="StopOnNonFiniteLoss">Fail with a clear error at a NaN or infinite training loss instead of training on.</param>
/// <param name="Callbacks">Plain functions called after each epoch, in order; any may stop the fit.</param>
public sealed record FitOptions(
    int Epochs,
    EarlyStopping? EarlyStopping,
    CheckpointStore? Checkpoints,
    int CheckpointEverySteps,
    TextWriter? Progress,
    bool InteractiveProgress,
    IReadOnlyList<string> StatefulMetrics,
    string? LogPath,
    string? ChartPath,
    TimeSpan? TimeLimit,
    bool EvaluateWithEma,
    bool StopOnNonFiniteLoss,
    IReadOnlyList<Func<EpochReport, FitDecision>> Callbacks)
{
    /// <summary>Epochs to reach.</summary>
    public int Epochs { get; init; } = Epochs >= 1 ? Epochs : throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "A fit runs at least one epoch.");

    /// <summary>Extra checkpoint interval in steps.</summary>
    public int CheckpointEverySteps { get; init; } = CheckpointEverySteps >= 0
        ? CheckpointEverySteps
        : throw new ArgumentOutOfRangeException(nameof(CheckpointEverySteps), CheckpointEverySteps, "The checkpoint interval is 0 (epoch ends only) or positive.");

    /// <summary>One silent epoch: no early stopping, checkpoints, progress, log, chart or callbacks; EMA validation and the NaN guard on.</summary>
    public static FitOptions Default { get; } = new(1, null, null, 0, null, false, [], null, null, null, true, true, []);
}
