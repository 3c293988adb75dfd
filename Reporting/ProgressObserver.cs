using System.Diagnostics;
using Functional.Training;

namespace Functional.Reporting;

/// <summary>
/// Shows a fit on a console: per epoch a progress bar with the step count, the speed, the ETA, the running metrics and
/// the learning rate (<c>lr</c>, from <see cref="StepEnd{TParams, TModelState}.LearningRate"/>) — a live Spectre.Console bar on a
/// terminal (<see cref="LiveProgressBar"/>), plain lines every ten seconds otherwise (<see cref="ProgressBar"/>) — then the
/// validation metrics. When a time budget or Ctrl-C stops an epoch, its bar ends at the step reached, not at 100%.
/// Dispose it (<c>using</c>) so that a fit ended by an exception leaves no live display behind.
/// </summary>
public sealed class ProgressObserver : IFitObserver, IDisposable
{
    /// <summary>The name the learning rate is shown under.</summary>
    public const string LearningRateName = "lr";

    readonly TextWriter output;
    readonly bool interactive;
    readonly IReadOnlySet<string> statefulMetrics;
    readonly TimeSpan plainInterval;
    readonly Stopwatch clock = new();
    IProgressDisplay? bar;

    /// <summary>Draws on <paramref name="output"/>, plain lines every ten seconds when not interactive.</summary>
    /// <param name="output">Where the bar goes.</param>
    /// <param name="interactive">Redraw one live bar in place (a terminal) or write plain lines (redirected output).</param>
    /// <param name="statefulMetrics">Training metrics shown as they are (an accumulated accuracy); all others show their running mean. The learning rate is always shown as is.</param>
    public ProgressObserver(TextWriter output, bool interactive, IEnumerable<string>? statefulMetrics = null)
        : this(output, interactive, statefulMetrics, TimeSpan.FromSeconds(10)) { }

    /// <summary>Draws on <paramref name="output"/>, plain lines every <paramref name="plainInterval"/> when not interactive.</summary>
    /// <param name="output">Where the bar goes.</param>
    /// <param name="interactive">Redraw one live bar in place (a terminal) or write plain lines (redirected output).</param>
    /// <param name="statefulMetrics">Training metrics shown as they are; all others show their running mean.</param>
    /// <param name="plainInterval">How often a plain line is written (the last line of an epoch is always written).</param>
    public ProgressObserver(TextWriter output, bool interactive, IEnumerable<string>? statefulMetrics, TimeSpan plainInterval)
    {
        this.output = output ?? throw new ArgumentNullException(nameof(output));
        this.interactive = interactive;
        this.statefulMetrics = (statefulMetrics ?? []).Append(LearningRateName).ToHashSet(StringComparer.Ordinal);
        this.plainInterval = plainInterval;
    }

    /// <summary>A bar on the console, live when the output is a terminal.</summary>
    public static ProgressObserver Console() => new(System.Console.Out, !System.Console.IsOutputRedirected);

    /// <inheritdoc />
    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start) => clock.Restart();

    /// <inheritdoc />
    public void EpochStarted(EpochStart start)
    {
        bar?.Dispose();
        var title = $"Epoch {start.Epoch + 1}/{start.Epochs}";
        if (!interactive) output.WriteLine(start.FirstBatch > 0 ? $"{title} (resumed at step {start.FirstBatch})" : title);
        bar = interactive
            ? new LiveProgressBar(start.BatchesPerEpoch, title, output, start.FirstBatch, "step")
            : new ProgressBar(start.BatchesPerEpoch, output, interactive: false, plainInterval, () => clock.Elapsed, start.FirstBatch, "step");
    }

    /// <inheritdoc />
    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step)
    {
        if (bar is null) return;
        var stateful = step.Metrics.Where(m => statefulMetrics.Contains(m.Key)).ToDictionary();
        if (step.LearningRate is { } rate) stateful[LearningRateName] = rate;
        bar.Update(step.State.Position.Batch, step.Metrics.Where(m => !statefulMetrics.Contains(m.Key)).ToDictionary(), stateful);
    }

    /// <inheritdoc />
    public void EpochStepsFinished(EpochStepsEnd end)
    {
        bar?.Finish(end.BatchReached, StopReason(end.Interruption));
        bar = null;
    }

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        if (end.Report.Validation.Count > 0)
            output.WriteLine("validation: " + string.Join(" - ", end.Report.Validation.Select(m => $"{m.Key}: {MetricFormat.Significant(m.Value)}")));
        return FitDecision.Continue;
    }

    /// <summary>Releases a bar left open by a fit that ended with an exception.</summary>
    public void Dispose()
    {
        bar?.Dispose();
        bar = null;
    }

    /// <summary>How a bar names an early stop: <c>out of time</c>, <c>cancelled</c>; null when the epoch completed.</summary>
    internal static string? StopReason(FitEnd end) => end switch
    {
        FitEnd.Completed => null,
        FitEnd.OutOfTime => "out of time",
        FitEnd.Cancelled => "cancelled",
        _ => end.ToString(),
    };
}
