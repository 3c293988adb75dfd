using System.Diagnostics;
using System.Globalization;
using Functional.Training;

namespace Functional.Reporting;

/// <summary>
/// Shows a fit on a console: per epoch a progress bar with running metrics (a live Spectre.Console bar on a
/// terminal, <see cref="LiveProgressBar"/>; plain lines every ten seconds otherwise, <see cref="ProgressBar"/>), then
/// the validation metrics. Dispose it (<c>using</c>) so that a fit ended by an exception leaves no live display behind.
/// </summary>
public sealed class ProgressObserver : IFitObserver, IDisposable
{
    readonly TextWriter output;
    readonly bool interactive;
    readonly IReadOnlySet<string> statefulMetrics;
    readonly Stopwatch clock = new();
    IProgressDisplay? bar;

    /// <summary>Draws on <paramref name="output"/>.</summary>
    /// <param name="output">Where the bar goes.</param>
    /// <param name="interactive">Redraw one live bar in place (a terminal) or write plain lines (redirected output).</param>
    /// <param name="statefulMetrics">Training metrics shown as they are (a learning rate); all others show their running mean.</param>
    public ProgressObserver(TextWriter output, bool interactive, IEnumerable<string>? statefulMetrics = null)
    {
        this.output = output ?? throw new ArgumentNullException(nameof(output));
        this.interactive = interactive;
        this.statefulMetrics = (statefulMetrics ?? []).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A bar on the console, live when the output is a terminal.</summary>
    public static ProgressObserver Console() => new(System.Console.Out, !System.Console.IsOutputRedirected);

    /// <inheritdoc />
    public void FitStarted<TParams>(FitStart<TParams> start) => clock.Restart();

    /// <inheritdoc />
    public void EpochStarted(EpochStart start)
    {
        bar?.Dispose();
        var title = $"Epoch {start.Epoch + 1}/{start.Epochs}";
        if (!interactive) output.WriteLine(title);
        bar = interactive
            ? new LiveProgressBar(start.BatchesPerEpoch, title, output)
            : new ProgressBar(start.BatchesPerEpoch, output, interactive: false, TimeSpan.FromSeconds(10), () => clock.Elapsed);
    }

    /// <inheritdoc />
    public void StepFinished<TParams>(StepEnd<TParams> step) =>
        bar?.Update(step.State.Position.Batch,
            step.Metrics.Where(m => !statefulMetrics.Contains(m.Key)).ToDictionary(),
            step.Metrics.Where(m => statefulMetrics.Contains(m.Key)).ToDictionary());

    /// <inheritdoc />
    public void EpochStepsFinished(EpochStepsEnd end)
    {
        bar?.Finish();
        bar = null;
    }

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams>(EpochEnd<TParams> end)
    {
        if (end.Report.Validation.Count > 0)
            output.WriteLine("validation: " + string.Join("  ", end.Report.Validation.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:G5}"))));
        return FitDecision.Continue;
    }

    /// <summary>Releases a bar left open by a fit that ended with an exception.</summary>
    public void Dispose()
    {
        bar?.Dispose();
        bar = null;
    }
}
