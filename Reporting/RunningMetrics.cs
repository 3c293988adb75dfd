namespace Functional.Reporting;

/// <summary>
/// The metrics of an epoch so far, as a Keras progress bar shows them: averaged metrics (a loss) as their mean over
/// the steps reported, stateful metrics (a learning rate, an accuracy the caller accumulates) as their last value.
/// </summary>
public sealed class RunningMetrics
{
    readonly Dictionary<string, (double Sum, int Count)> averaged = new(StringComparer.Ordinal);
    readonly Dictionary<string, double> stateful = new(StringComparer.Ordinal);

    /// <summary>Records one step's metrics.</summary>
    public void Add(IReadOnlyDictionary<string, double> averagedMetrics, IReadOnlyDictionary<string, double> statefulMetrics)
    {
        foreach (var (name, value) in averagedMetrics)
            averaged[name] = averaged.TryGetValue(name, out var sum) ? (sum.Sum + value, sum.Count + 1) : (value, 1);
        foreach (var (name, value) in statefulMetrics) stateful[name] = value;
    }

    /// <summary>The mean of an averaged metric over the steps so far, or the last value of a stateful one.</summary>
    /// <exception cref="KeyNotFoundException">No metric of that name was reported; the message lists those that were.</exception>
    public double Value(string name) =>
        averaged.TryGetValue(name, out var sum) ? sum.Sum / sum.Count
        : stateful.TryGetValue(name, out var value) ? value
        : throw new KeyNotFoundException($"No metric '{name}' was reported; there are: {string.Join(", ", Names)}.");

    /// <summary>The metric names in the order shown: averaged ones first, then stateful ones, each in order of first report.</summary>
    public IEnumerable<string> Names => averaged.Keys.Concat(stateful.Keys);
}
