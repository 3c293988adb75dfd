namespace Functional.Training;

/// <summary>
/// Appends every training step's metrics (phase <c>train</c>) and every validation (phase <c>validation</c>) to the
/// <see cref="MetricsLog"/> file at <see cref="Path"/>. The file is opened and closed around each record, so the
/// observer holds nothing between calls and a fit that ends by an exception leaves no open handle.
/// </summary>
public sealed record MetricsLogObserver : IFitObserver
{
    /// <summary>Logs to <paramref name="path"/> (its folder is created when missing; an existing log is appended to).</summary>
    public MetricsLogObserver(string path)
    {
        Path = !string.IsNullOrWhiteSpace(path) ? path : throw new ArgumentException("Name the log file.", nameof(path));
        if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void StepFinished<TParams>(StepEnd<TParams> step) => MetricsLog.Append(Path, new MetricRecord(step.State.Step, step.Epoch, "train", step.Metrics));

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams>(EpochEnd<TParams> end)
    {
        if (end.Report.Validation.Count > 0) MetricsLog.Append(Path, new MetricRecord(end.Report.Step, end.Report.Epoch, "validation", end.Report.Validation));
        return FitDecision.Continue;
    }
}
