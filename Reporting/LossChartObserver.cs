using Functional.Training;

namespace Functional.Reporting;

/// <summary>
/// Redraws PNGs of a fit after every epoch: the loss chart (training loss per step with its running mean, validation
/// loss per epoch; legend outside the data) and, once there is validation, a metrics chart with validation loss and the
/// task's metrics (accuracy, ROUGE) in their own panels. A resumed run continues its charts from the run's metrics log
/// when one is named.
/// </summary>
public sealed class LossChartObserver : IFitObserver
{
    LossCurves curves = new();

    /// <summary>Draws the loss chart at <paramref name="chartPath"/> and the metrics chart beside it (<see cref="MetricsPathBeside"/>).</summary>
    /// <param name="chartPath">The loss PNG to (re)write.</param>
    /// <param name="logPath">The run's metrics log (<see cref="MetricsLogObserver"/>), read once at the start of a resumed fit; null starts empty charts.</param>
    public LossChartObserver(string chartPath, string? logPath = null)
        : this(chartPath, logPath, MetricsPathBeside(chartPath ?? throw new ArgumentNullException(nameof(chartPath)))) { }

    /// <summary>Draws the loss chart at <paramref name="chartPath"/> and the metrics chart at <paramref name="metricsChartPath"/>.</summary>
    /// <param name="chartPath">The loss PNG to (re)write.</param>
    /// <param name="logPath">The run's metrics log, read once at the start of a resumed fit; null starts empty charts.</param>
    /// <param name="metricsChartPath">The validation-metrics PNG; null draws none.</param>
    public LossChartObserver(string chartPath, string? logPath, string? metricsChartPath)
    {
        ChartPath = chartPath ?? throw new ArgumentNullException(nameof(chartPath));
        LogPath = logPath;
        MetricsChartPath = metricsChartPath;
    }

    /// <summary>The loss PNG.</summary>
    public string ChartPath { get; }

    /// <summary>The validation-metrics PNG, or null.</summary>
    public string? MetricsChartPath { get; }

    /// <summary>The log a resumed chart continues from.</summary>
    public string? LogPath { get; }

    /// <summary>The metrics chart beside a loss chart: <c>metrics.png</c> beside <c>loss.png</c>, else <c>{name}-metrics.png</c>.</summary>
    public static string MetricsPathBeside(string chartPath)
    {
        var folder = Path.GetDirectoryName(chartPath) ?? "";
        var name = Path.GetFileNameWithoutExtension(chartPath);
        return Path.Combine(folder, name.Equals("loss", StringComparison.OrdinalIgnoreCase) ? "metrics.png" : $"{name}-metrics.png");
    }

    /// <inheritdoc />
    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start) => curves = LossCurves.FromLog(LogPath, start.State.Step);

    /// <inheritdoc />
    public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step) => curves.AddTrain(step.State.Step, step.Metrics[TrainingSteps.LossName]);

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        curves.AddValidation(end.Report.Step, end.Report.Validation);
        curves.Draw(ChartPath);
        if (MetricsChartPath is { } metrics) curves.DrawMetrics(metrics);
        return FitDecision.Continue;
    }
}
