using System.Globalization;
using Spectre.Console;

namespace Functional.Reporting;

/// <summary>
/// A live progress bar on a terminal, drawn by Spectre.Console: the epoch's title with its running metrics (Keras's
/// averaged and stateful metrics, <see cref="RunningMetrics"/>), the bar, the share done, the elapsed time and the
/// ETA. Spectre redraws it on its own thread; <see cref="Update"/> only records. For redirected output use
/// <see cref="ProgressBar"/>, which writes plain lines.
/// </summary>
public sealed class LiveProgressBar : IProgressDisplay
{
    readonly RunningMetrics metrics = new();
    readonly string title;
    readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource<ProgressTask> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Task display;
    bool done;

    /// <summary>Starts a bar of <paramref name="total"/> steps titled <paramref name="title"/> on <paramref name="output"/> (a terminal).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="total"/> is below 1.</exception>
    public LiveProgressBar(int total, string title, TextWriter output)
    {
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total), total, "An epoch has at least one step.");
        this.title = title;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.Yes,
            Ansi = AnsiSupport.Detect,
        });
        display = console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: total);
                started.SetResult(task);
                await finished.Task.ConfigureAwait(false);
                task.Value = total;
                context.Refresh();
            });
    }

    /// <inheritdoc />
    public void Update(int done, IReadOnlyDictionary<string, double> averagedMetrics, IReadOnlyDictionary<string, double> statefulMetrics)
    {
        metrics.Add(averagedMetrics, statefulMetrics);
        var task = started.Task.GetAwaiter().GetResult();
        task.Description = Markup.Escape(Describe());
        task.Value = done;
    }

    /// <inheritdoc />
    public double Value(string name) => metrics.Value(name);

    /// <inheritdoc />
    public void Finish()
    {
        if (done) return;
        done = true;
        if (started.Task.IsCompletedSuccessfully) started.Task.Result.Description = Markup.Escape(Describe());
        finished.TrySetResult();
        display.GetAwaiter().GetResult();
    }

    /// <summary>Stops the display if <see cref="Finish"/> was not called (an exception left the epoch).</summary>
    public void Dispose() => Finish();

    string Describe() =>
        string.Join("  ", metrics.Names.Select(name => $"{name} {ProgressBar.Number(metrics.Value(name))}").Prepend(title));
}
