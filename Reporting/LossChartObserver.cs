using Functional.Training;

namespace Functional.Reporting;

/// <summary>
/// Redraws a PNG of the loss curves after every epoch: training loss per step with its running mean, validation loss
/// per epoch. A resumed run continues its chart from the run's metrics log when one is named.
/// </summary>
/// <param name="chartPath">The PNG to (re)write.</param>
/// <param name="logPath">The run's metrics log (<see cref="MetricsLogObserver"/>), read once at the start of a resumed fit; null starts an empty chart.</param>
public sealed class LossChartObserver(string chartPath, string? logPath = null) : IFitObserver
{
    LossCurves curves = new();

    /// <summary>The PNG.</summary>
    public string ChartPath { get; } = chartPath ?? throw new ArgumentNullException(nameof(chartPath));

    /// <summary>The log a resumed chart continues from.</summary>
    public string? LogPath { get; } = logPath;

    /// <inheritdoc />
    public void FitStarted<TParams>(FitStart<TParams> start) => curves = LossCurves.FromLog(LogPath, start.State.Step);

    /// <inheritdoc />
    public void StepFinished<TParams>(StepEnd<TParams> step) => curves.AddTrain(step.State.Step, step.Metrics[TrainingSteps.LossName]);

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams>(EpochEnd<TParams> end)
    {
        if (end.Report.Validation.TryGetValue(TrainingSteps.LossName, out var loss)) curves.AddValidation(end.Report.Step, loss);
        curves.Draw(ChartPath);
        return FitDecision.Continue;
    }
}
