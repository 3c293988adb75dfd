using System.Globalization;
using System.Text;

namespace Functional.Reporting;

/// <summary>
/// A Keras-style progress line for one epoch: <c>37/100 [=======>......] - ETA 0:00:12 - loss: 0.4123 - lr: 0.001</c>.
/// Averaged metrics (a loss) show their mean over the epoch's steps so far; stateful metrics (a learning rate, an
/// accuracy the caller already accumulates) show their last value as is. On a terminal the line is redrawn in place
/// (at most ten times a second); when the output is redirected it is written as plain lines, every
/// <c>plainInterval</c> and at the end, so logs stay readable.
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
    readonly RunningMetrics metrics = new();
    TimeSpan? lastDrawn;
    int step;

    /// <summary>A bar for <paramref name="total"/> steps writing to <paramref name="output"/>.</summary>
    /// <param name="total">Steps in the epoch.</param>
    /// <param name="output">Where to write (<see cref="Console.Out"/>).</param>
    /// <param name="interactive">Redraw in place (a terminal) or write plain lines (<c>!Console.IsOutputRedirected</c>).</param>
    /// <param name="plainInterval">How often plain lines are written.</param>
    /// <param name="clock">The time since some fixed start (a stopwatch's elapsed time).</param>
    public ProgressBar(int total, TextWriter output, bool interactive, TimeSpan plainInterval, Func<TimeSpan> clock)
    {
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total), total, "An epoch has at least one step.");
        (this.total, this.output, this.interactive, this.plainInterval, this.clock) = (total, output, interactive, plainInterval, clock);
        start = clock();
    }

    /// <summary>Records step <paramref name="done"/> (1-based) with its metrics and redraws when due.</summary>
    public void Update(int done, IReadOnlyDictionary<string, double> averagedMetrics, IReadOnlyDictionary<string, double> statefulMetrics)
    {
        step = Math.Clamp(done, 0, total);
        metrics.Add(averagedMetrics, statefulMetrics);
        var now = clock();
        var due = lastDrawn is not { } last || now - last >= (interactive ? TimeSpan.FromMilliseconds(100) : plainInterval);
        if (step == total || !due) return;
        lastDrawn = now;
        Draw(final: false);
    }

    /// <summary>The mean of an averaged metric over the steps so far, or its last value if stateful.</summary>
    public double Value(string name) => metrics.Value(name);

    /// <summary>Nothing to release: the bar only writes to its writer.</summary>
    public void Dispose() { }

    /// <summary>Writes the final line of the epoch (as complete), with its duration.</summary>
    public void Finish()
    {
        step = total;
        Draw(final: true);
    }

    void Draw(bool final)
    {
        var line = new StringBuilder();
        var digits = total.ToString(CultureInfo.InvariantCulture).Length;
        line.Append(CultureInfo.InvariantCulture, $"{step.ToString(CultureInfo.InvariantCulture).PadLeft(digits)}/{total} [");
        var filled = Width * step / total;
        line.Append('=', Math.Max(0, filled - (step < total ? 1 : 0))).Append(step < total ? ">" : "").Append('.', Width - filled).Append(']');
        var elapsed = clock() - start;
        line.Append(final || step == 0 ? $" - {Format(elapsed)}" : $" - ETA {Format(elapsed / step * (total - step))}");
        foreach (var name in metrics.Names) line.Append($" - {name}: {Number(Value(name))}");
        if (interactive) output.Write("\r" + line + (final ? Environment.NewLine : ""));
        else output.WriteLine(line);
        output.Flush();
    }

    /// <summary>A metric value as the bars show it: four significant digits, thousands separated when large.</summary>
    internal static string Number(double value) =>
        value.ToString(Math.Abs(value) >= 1e4 && Math.Abs(value) < 1e15 ? "N0" : "G4", CultureInfo.InvariantCulture);

    /// <summary>A duration as m:ss, or h:mm:ss from an hour on.</summary>
    internal static string Format(TimeSpan time) => time.ToString(time.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);
}
