using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Functional.Reporting;

/// <summary>
/// A live progress display on a terminal, drawn by Spectre.Console in two lines that fit 80 columns (tmux's default):
/// <code>
/// Epoch 1/10 ━━━━━━━━━━━━━━━━━━━━━━━━╺━━━━━━━━━━━ 187/271 4.52 step/s 0:41&lt;0:19
///   loss:     2.345 - accuracy:    0.3456 - lr: 1.000e-04
/// </code>
/// the title, the bar, the step count, the speed (steps of this run since the bar started), the elapsed time and the ETA,
/// then the running metrics (Keras's averaged and stateful metrics, <see cref="RunningMetrics"/>, each of the fixed width
/// of <see cref="MetricFormat.Number"/>). A background task redraws it ten times a second; <see cref="Update"/> only
/// records. When the steps stop early (a time budget, Ctrl-C) the display stays at the step reached and says why. For
/// redirected output use <see cref="ProgressBar"/>, which writes plain lines.
/// </summary>
public sealed class LiveProgressBar : IProgressDisplay
{
    readonly Lock gate = new();
    readonly RunningMetrics metrics = new();
    readonly string title;
    readonly int total, first;
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Task display;
    readonly int width;
    readonly string unit;
    int step;
    string? stopReason;
    bool final, done;

    /// <summary>Starts a display of <paramref name="total"/> steps titled <paramref name="title"/> on <paramref name="output"/> (a terminal).</summary>
    /// <param name="total">Steps in the epoch.</param>
    /// <param name="title">The text before the bar (<c>Epoch 3/7</c>).</param>
    /// <param name="output">The terminal.</param>
    /// <param name="first">The position the bar starts at (a resumed epoch's first batch); the speed counts from there.</param>
    /// <param name="unit">What is counted, for the speed (<c>step</c>: <c>4.52 step/s</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="total"/> is below 1.</exception>
    public LiveProgressBar(int total, string title, TextWriter output, int first, string unit)
    {
        this.unit = unit ?? throw new ArgumentNullException(nameof(unit));
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total), total, "An epoch has at least one step.");
        (this.title, this.total, this.first, step) = (title, total, Math.Clamp(first, 0, total), Math.Clamp(first, 0, total));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.Yes,
            Ansi = AnsiSupport.Detect,
        });
        width = Math.Max(40, console.Profile.Width);
        display = console.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            while (!finished.Task.IsCompleted)
            {
                context.UpdateTarget(Render());
                await Task.WhenAny(finished.Task, Task.Delay(100)).ConfigureAwait(false);
            }
            context.UpdateTarget(Render());
            context.Refresh();
        });
    }

    /// <inheritdoc />
    public void Update(int done, IReadOnlyDictionary<string, double> averagedMetrics, IReadOnlyDictionary<string, double> statefulMetrics)
    {
        lock (gate)
        {
            metrics.Add(averagedMetrics, statefulMetrics);
            step = Math.Clamp(done, 0, total);
        }
    }

    /// <inheritdoc />
    public double Value(string name)
    {
        lock (gate) return metrics.Value(name);
    }

    /// <inheritdoc />
    public void Finish(int reached, string? stopReason)
    {
        if (done) return;
        done = true;
        lock (gate) (step, this.stopReason, final) = (Math.Clamp(reached, 0, total), stopReason, true);
        finished.TrySetResult();
        display.GetAwaiter().GetResult();
    }

    /// <summary>Stops the display if <see cref="Finish"/> was not called (an exception left the epoch), where it was.</summary>
    public void Dispose()
    {
        if (done) return;
        int reached;
        lock (gate) reached = step;
        Finish(reached, reached < total ? "error" : null);
    }

    /// <summary>The two lines as they stand.</summary>
    Spectre.Console.Rendering.IRenderable Render()
    {
        lock (gate)
        {
            var elapsed = clock.Elapsed;
            var digits = total.ToString(CultureInfo.InvariantCulture).Length;
            var count = $"{step.ToString(CultureInfo.InvariantCulture).PadLeft(digits)}/{total}";
            var time = MetricFormat.Duration(elapsed);
            if (!final)
                time += "<" + (step > first && elapsed > TimeSpan.Zero ? MetricFormat.Duration(elapsed / (step - first) * (total - step)) : "-:--");
            var tail = $"{count} {MetricFormat.Rate(step - first, elapsed, unit).TrimStart()} {time}";
            var barWidth = Math.Clamp(width - title.Length - tail.Length - 3, 10, 40);
            var filled = barWidth * step / total;
            var colour = final && step < total ? "yellow" : final ? "green" : "magenta";
            var bar = $"[{colour}]{new string('━', filled)}[/][grey]{new string('─', barWidth - filled)}[/]";
            var head = $"{Markup.Escape(title)} {bar} {tail}";
            var values = metrics.Names.Select(name => $"{name}: {MetricFormat.Number(metrics.Value(name))}").ToList();
            if (stopReason is not null) values.Add($"stopped: {stopReason}");
            return values.Count == 0 ? new Markup(head) : new Rows(new Markup(head), new Markup("  " + Markup.Escape(string.Join(" - ", values))));
        }
    }
}
