using Functional.Training;

namespace Functional.Reporting;

/// <summary>
/// Writes a fit's scalars for TensorBoard (<c>tensorboard --logdir DIR</c>): after every training step each of its
/// metrics as <c>train/{name}</c> and the learning rate as <c>train/lr</c> (when the pipeline has one), after every
/// validation each validation metric as <c>validation/{name}</c>, all at the global step
/// (<see cref="TrainState{TParams, TModelState}.Step"/>). Each fit writes a new event file in the directory (a resumed run adds a file;
/// TensorBoard joins them by step). The file is flushed after every epoch; dispose the observer to close it.
/// </summary>
public sealed class TensorBoardObserver : IFitObserver, IDisposable
{
    /// <summary>The tag prefix of training scalars.</summary>
    public const string TrainPrefix = "train/";

    /// <summary>The tag prefix of validation scalars.</summary>
    public const string ValidationPrefix = "validation/";

    TensorBoardEventFile? file;

    /// <summary>An observer writing into <paramref name="logDirectory"/> (created at the start of the fit if missing).</summary>
    public TensorBoardObserver(string logDirectory) =>
        LogDirectory = logDirectory ?? throw new ArgumentNullException(nameof(logDirectory));

    /// <summary>The directory the event files go to.</summary>
    public string LogDirectory { get; }

    /// <summary>The event file of the current (or last) fit; null before a fit starts.</summary>
    public string? EventFilePath => file?.Path;

    /// <inheritdoc />
    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start)
    {
        file?.Dispose();
        file = new TensorBoardEventFile(LogDirectory, DateTimeOffset.UtcNow);
    }

    /// <inheritdoc />
    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step)
    {
        if (file is null) return;
        var now = DateTimeOffset.UtcNow;
        foreach (var (name, value) in step.Metrics) file.Scalar(TrainPrefix + name, value, step.State.Step, now);
        if (step.LearningRate is { } rate) file.Scalar(TrainPrefix + ProgressObserver.LearningRateName, rate, step.State.Step, now);
    }

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        if (file is null) return FitDecision.Continue;
        var now = DateTimeOffset.UtcNow;
        foreach (var (name, value) in end.Report.Validation) file.Scalar(ValidationPrefix + name, value, end.Report.Step, now);
        file.Flush();
        return FitDecision.Continue;
    }

    /// <summary>Closes the event file.</summary>
    public void Dispose()
    {
        file?.Dispose();
    }
}
