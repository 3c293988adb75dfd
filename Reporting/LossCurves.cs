using Functional.Training;
namespace Functional.Reporting;

/// <summary>The loss curves of a fit, drawn as one PNG: training loss per step (and its running mean) and validation loss per epoch.</summary>
sealed class LossCurves
{
    const int Window = 50;
    readonly List<double> trainSteps = [], trainLoss = [], smoothed = [], validationSteps = [], validationLoss = [];
    readonly Queue<double> recent = new();
    double recentSum;

    /// <summary>Curves holding the records of an existing log up to <paramref name="step"/> (a resumed run continues its chart).</summary>
    public static LossCurves FromLog(string? logPath, long step)
    {
        var curves = new LossCurves();
        if (logPath is null || !File.Exists(logPath) || step == 0) return curves;
        foreach (var record in MetricsLog.Read(logPath).Where(r => r.Step <= step && r.Metrics.ContainsKey(TrainingSteps.LossName)))
        {
            if (record.Phase == "train") curves.AddTrain(record.Step, record.Metrics[TrainingSteps.LossName]);
            else if (record.Phase == "validation") curves.AddValidation(record.Step, record.Metrics[TrainingSteps.LossName]);
        }
        return curves;
    }

    public void AddTrain(long step, double loss)
    {
        if (!double.IsFinite(loss)) return;
        trainSteps.Add(step);
        trainLoss.Add(loss);
        recent.Enqueue(loss);
        recentSum += loss;
        if (recent.Count > Window) recentSum -= recent.Dequeue();
        smoothed.Add(recentSum / recent.Count);
    }

    public void AddValidation(long step, double loss)
    {
        validationSteps.Add(step);
        validationLoss.Add(loss);
    }

    public void Draw(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        var series = new List<ChartSeries>
        {
            new("train loss", trainSteps.ToArray(), trainLoss.ToArray()),
            new($"train loss, mean of last {Window}", trainSteps.ToArray(), smoothed.ToArray()),
        };
        if (validationSteps.Count > 0) series.Add(new ChartSeries("validation loss", validationSteps.ToArray(), validationLoss.ToArray()));
        Charts.Lines(path, "Loss", "step", "loss", series);
    }
}
