using Functional.Training;
namespace Functional.Reporting;

/// <summary>
/// The curves of a fit: training loss per step (and its running mean) and every validation metric per epoch. Drawn as
/// two PNGs: the loss chart, and a metrics chart with validation loss and the task's metrics (accuracy, ROUGE) in panels.
/// </summary>
sealed class LossCurves
{
    const int Window = 50;
    readonly List<double> trainSteps = [], trainLoss = [], smoothed = [];
    readonly Dictionary<string, (List<double> Steps, List<double> Values)> validation = new(StringComparer.Ordinal);
    readonly Queue<double> recent = new();
    double recentSum;

    /// <summary>Curves holding the records of an existing log up to <paramref name="step"/> (a resumed run continues its chart).</summary>
    public static LossCurves FromLog(string? logPath, long step)
    {
        var curves = new LossCurves();
        if (logPath is null || !File.Exists(logPath) || step == 0) return curves;
        foreach (var record in MetricsLog.Read(logPath).Where(r => r.Step <= step))
        {
            if (record.Phase == "train" && record.Metrics.TryGetValue(TrainingSteps.LossName, out var loss)) curves.AddTrain(record.Step, loss);
            else if (record.Phase == "validation") curves.AddValidation(record.Step, record.Metrics);
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

    public void AddValidation(long step, IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (name, value) in metrics)
        {
            if (!double.IsFinite(value)) continue;
            if (!validation.TryGetValue(name, out var curve)) validation[name] = curve = ([], []);
            curve.Steps.Add(step);
            curve.Values.Add(value);
        }
    }

    /// <summary>Whether any validation metric was recorded.</summary>
    public bool HasValidation => validation.Count > 0;

    /// <summary>The loss chart: training loss, its running mean, validation loss.</summary>
    public void Draw(string path)
    {
        CreateFolder(path);
        var series = new List<ChartSeries>
        {
            new("train loss", trainSteps.ToArray(), trainLoss.ToArray()),
            new($"train loss, mean of last {Window}", trainSteps.ToArray(), smoothed.ToArray()),
        };
        if (validation.TryGetValue(TrainingSteps.LossName, out var loss)) series.Add(new ChartSeries("validation loss", loss.Steps.ToArray(), loss.Values.ToArray()));
        Charts.Lines(path, "Loss", "step", "loss", series);
    }

    /// <summary>
    /// The metrics chart: a panel of validation loss (with the running mean of training loss for comparison) and a
    /// panel of the other validation metrics (accuracy, ROUGE-1/2/L). Nothing is drawn without validation.
    /// </summary>
    public void DrawMetrics(string path)
    {
        if (!HasValidation) return;
        CreateFolder(path);
        var lossPanel = new List<ChartSeries>();
        if (validation.TryGetValue(TrainingSteps.LossName, out var loss))
        {
            if (trainSteps.Count > 0) lossPanel.Add(new ChartSeries($"train loss, mean of last {Window}", trainSteps.ToArray(), smoothed.ToArray()));
            lossPanel.Add(new ChartSeries("validation loss", loss.Steps.ToArray(), loss.Values.ToArray()));
        }
        var taskPanel = validation.Where(pair => pair.Key != TrainingSteps.LossName)
            .Select(pair => new ChartSeries(pair.Key, pair.Value.Steps.ToArray(), pair.Value.Values.ToArray())).ToArray();
        Charts.Panels(path, [new ChartPanel("Validation loss", "step", "loss", lossPanel), new ChartPanel("Validation metrics", "step", "value", taskPanel)]);
    }

    static void CreateFolder(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
    }
}
