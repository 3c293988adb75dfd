namespace Functional.Reporting;

/// <summary>A progress display for one epoch's steps, with running metrics (see <see cref="RunningMetrics"/>).</summary>
public interface IProgressDisplay : IDisposable
{
    /// <summary>Records step <paramref name="done"/> (1-based) with its metrics and redraws when due.</summary>
    void Update(int done, IReadOnlyDictionary<string, double> averagedMetrics, IReadOnlyDictionary<string, double> statefulMetrics);

    /// <summary>The running value of a metric.</summary>
    double Value(string name);

    /// <summary>
    /// Draws the final state at step <paramref name="reached"/> (the total when the epoch completed; fewer when it was
    /// stopped, and then the display stays there rather than jumping to 100%) and releases the display.
    /// </summary>
    /// <param name="reached">The position reached (1-based count of steps of the epoch done).</param>
    /// <param name="stopReason">Why the steps stopped early (shown as <c>stopped: ...</c>), or null when they completed.</param>
    void Finish(int reached, string? stopReason);
}
