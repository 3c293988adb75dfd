namespace Functional.Training;

/// <summary>
/// Appends every training step's metrics (phase <c>train</c>) and every validation (phase <c>validation</c>) to the
/// <see cref="MetricsLog"/> file at <see cref="Path"/>. The file is opened and closed around each record, so the
/// observer holds nothing between calls and a fit that ends by an exception leaves no open handle. When the fit starts,
/// the log is cut to the steps up to the starting state's (<see cref="MetricsLog.TruncateAfter"/>): a run resumed from
/// an older checkpoint than the last step logged, or restarted, holds each step once. Every record carries its wall time
/// (<see cref="MetricRecord.Seconds"/>, continuing from the log's last record after a resume, and
/// <see cref="MetricRecord.Time"/> in UTC); training records carry the learning rate their update applied.
/// </summary>
/// <remarks>One observer watches one fit at a time (it keeps the fit's clock).</remarks>
public sealed record MetricsLogObserver : IFitObserver
{
    readonly System.Diagnostics.Stopwatch clock = new();
    double offset;

    /// <summary>Logs to <paramref name="path"/> (its folder is created when missing; an existing log is appended to).</summary>
    public MetricsLogObserver(string path)
    {
        Path = !string.IsNullOrWhiteSpace(path) ? path : throw new ArgumentException("Name the log file.", nameof(path));
        if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Where the log says what it drops when a fit starts (a torn last line, records after the resumed step); nothing by default.</summary>
    public TextWriter Warnings { get; init; } = TextWriter.Null;

    /// <inheritdoc />
    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start)
    {
        MetricsLog.TruncateAfter(Path, start.State.Step, Warnings);
        offset = File.Exists(Path) ? MetricsLog.Read(Path).LastOrDefault(record => record.Seconds is not null)?.Seconds ?? 0 : 0;
        clock.Restart();
    }

    /// <inheritdoc />
    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step) =>
        MetricsLog.Append(Path, Timed(new MetricRecord(step.State.Step, step.Epoch, "train", step.Metrics) { LearningRate = step.AppliedLearningRate }));

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        if (end.Report.Validation.Count > 0) MetricsLog.Append(Path, Timed(new MetricRecord(end.Report.Step, end.Report.Epoch, "validation", end.Report.Validation)));
        return FitDecision.Continue;
    }

    /// <summary>Observers are equal when they log to the same file with the same warnings writer (the fit's clock is not part of the value).</summary>
    public bool Equals(MetricsLogObserver? other) => other is not null && Path == other.Path && Equals(Warnings, other.Warnings);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Path, Warnings);

    MetricRecord Timed(MetricRecord record) => record with { Seconds = offset + clock.Elapsed.TotalSeconds, Time = DateTimeOffset.UtcNow };
}
