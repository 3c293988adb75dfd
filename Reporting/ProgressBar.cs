using System.Globalization;
using System.Text;

namespace Functional.Reporting;

/// <summary>
/// A Keras-style progress line for one epoch:
/// <c>187/271 [====================&gt;.........] - ETA 0:41 - 4.52 step/s - loss:     2.345 - lr: 1.000e-04</c>.
/// Averaged metrics (a loss) show their mean over the epoch's steps so far; stateful metrics (a learning rate, an
/// accuracy the caller already accumulates) show their last value as is; every number has the fixed width of
/// <see cref="MetricFormat.Number"/>. The rate counts the steps of this run since the bar started (from its first
/// position: a resumed epoch's earlier steps are not in it), and the ETA is the steps left at that rate. On a terminal the line is redrawn in place
/// (at most ten times a second); when the output is redirected it is written as plain lines, every
/// <c>plainInterval</c> and at the end, so logs stay readable. The last line shows the position really reached.
/// </summary>
public sealed class ProgressBar : IProgressDisplay
{
    const int Width = 30;

    readonly int total;
    readonly TextWriter output;
    readonly bool interactive;
    readonly TimeSpan plainInterval;
    readonly Func<TimeSpan> clock;
    readonly TimeSpan start;
    readonly int first;
    readonly string unit;
    readonly RunningMetrics metrics = new();
    TimeSpan? lastDrawn;
    int step;
    bool finished;

    /// <summary>A bar for <paramref name="total"/> steps from the start, writing to <paramref name="output"/>.</summary>
    /// <param name="total">Steps in the epoch.</param>
    /// <param name="output">Where to write (<see cref="Console.Out"/>).</param>
    /// <param name="interactive">Redraw in place (a terminal) or write plain lines (<c>!Console.IsOutputRedirected</c>).</param>
    /// <param name="plainInterval">How often plain lines are written.</param>
    /// <param name="clock">The time since some fixed start (a stopwatch's elapsed time).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="total"/> is below 1.</exception>
    public ProgressBar(int total, TextWriter output, bool interactive, TimeSpan plainInterval, Func<TimeSpan> clock)
        : this(total, output, interactive, plainInterval, clock, 0, "step") { }

    /// <summary>A bar for <paramref name="total"/> units starting at <paramref name="first"/>, writing to <paramref name="output"/>.</summary>
    /// <param name="total">Units (steps, items) in the task.</param>
    /// <param name="output">Where to write.</param>
    /// <param name="interactive">Redraw in place (a terminal) or write plain lines.</param>
    /// <param name="plainInterval">How often plain lines are written.</param>
    /// <param name="clock">The time since some fixed start (a stopwatch's elapsed time).</param>
    /// <param name="first">The position the bar starts at (a resumed epoch's first batch): the speed and ETA count from there.</param>
    /// <param name="unit">What is counted, for the speed (<c>step</c>: <c>4.52 step/s</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="total"/> is below 1.</exception>
    public ProgressBar(int total, TextWriter output, bool interactive, TimeSpan plainInterval, Func<TimeSpan> clock, int first, string unit)
    {
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total), total, "An epoch has at least one step.");
        (this.total, this.output, this.interactive, this.plainInterval, this.clock) = (total, output, interactive, plainInterval, clock);
        this.first = step = Math.Clamp(first, 0, total);
        this.unit = unit ?? throw new ArgumentNullException(nameof(unit));
        start = clock();
    }

    /// <summary>The last line drawn (without the carriage return of a terminal), empty before the first.</summary>
    public string LastLine { get; private set; } = "";

    /// <summary>Records step <paramref name="done"/> (1-based) with its metrics and redraws when due.</summary>
    public void Update(int done, IReadOnlyDictionary<string, double> averagedMetrics, IReadOnlyDictionary<string, double> statefulMetrics)
    {
        step = Math.Clamp(done, 0, total);
        metrics.Add(averagedMetrics, statefulMetrics);
        var now = clock();
        var due = lastDrawn is not { } last || now - last >= (interactive ? TimeSpan.FromMilliseconds(100) : plainInterval);
        if (step == total || !due) return;
        lastDrawn = now;
        Draw(now, null);
    }

    /// <summary>The mean of an averaged metric over the steps so far, or its last value if stateful.</summary>
    public double Value(string name) => metrics.Value(name);

    /// <summary>Nothing to release: the bar only writes to its writer.</summary>
    public void Dispose() { }

    /// <summary>Writes the final line of a completed epoch: <see cref="Finish(int, string)"/> at the total.</summary>
    public void Finish() => Finish(total, null);

    /// <summary>Writes the final line of the epoch at the position reached, with its duration (and why it stopped early).</summary>
    public void Finish(int reached, string? stopReason)
    {
        if (finished) return;
        finished = true;
        step = Math.Clamp(reached, 0, total);
        Draw(clock(), stopReason ?? "");
    }

    /// <summary>The line for the current state; <paramref name="final"/> is null while running, else the stop reason ("" when complete).</summary>
    void Draw(TimeSpan now, string? final)
    {
        var line = new StringBuilder();
        var digits = total.ToString(CultureInfo.InvariantCulture).Length;
        line.Append(CultureInfo.InvariantCulture, $"{step.ToString(CultureInfo.InvariantCulture).PadLeft(digits)}/{total} [");
        var filled = Width * step / total;
        var head = step < total && step > 0 ? 1 : 0;
        line.Append('=', filled - (filled > 0 ? head : 0)).Append(head == 1 && filled > 0 ? ">" : "").Append('.', Width - filled).Append(']');
        var elapsed = now - start;
        if (final is not null) line.Append(" - ").Append(MetricFormat.Duration(elapsed));
        else if (step <= first || elapsed <= TimeSpan.Zero) line.Append(" - ETA -:--");
        else line.Append(" - ETA ").Append(MetricFormat.Duration(elapsed / (step - first) * (total - step)));
        line.Append(" - ").Append(MetricFormat.Rate(step - first, elapsed, unit));
        foreach (var name in metrics.Names) line.Append(" - ").Append(name).Append(": ").Append(MetricFormat.Number(Value(name)));
        if (final is { Length: > 0 }) line.Append(" - stopped: ").Append(final);
        // A shorter line than the one before must cover it on a terminal.
        var width = LastLine.Length;
        LastLine = line.ToString();
        if (interactive) output.Write("\r" + LastLine.PadRight(width) + (final is not null ? Environment.NewLine : ""));
        else output.WriteLine(LastLine);
        output.Flush();
    }
}
