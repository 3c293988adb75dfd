namespace Functional.Reporting;

/// <summary>A progress display for one epoch's steps, with running metrics (see <see cref="RunningMetrics"/>).</summary>
public interface IProgressDisplay : IDisposable
{
    /// <summary>Records step <paramref name="done"/> (1-based) with its metrics and redraws when due.</summary>
    void Update(int done, IReadOnlyDictionary<string, double> averagedMetrics, IReadOnlyDictionary<string, double> statefulMetrics);

    /// <summary>The running value of a metric.</summary>
    double Value(string name);

    /// <summary>Draws the final state of the epoch (as complete) and releases the display.</summary>
    void Finish();
}
