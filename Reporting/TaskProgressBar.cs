using System.Diagnostics;
using Functional.Training;

namespace Functional.Reporting;

/// <summary>
/// Draws the progress of validation, evaluation and generation (<see cref="ITaskProgress"/>) as a bar: a live
/// Spectre.Console bar on a terminal (<see cref="LiveProgressBar"/>), plain lines otherwise (<see cref="ProgressBar"/>:
/// the task's name, then <c>n/N [====&gt;...] - ETA - speed</c> lines every <c>plainInterval</c> and at the end). A task
/// finished early ends at the count reached. Dispose it so that a task ended by an exception leaves no live display.
/// </summary>
public sealed class TaskProgressBar : ITaskProgress, IDisposable
{
    readonly TextWriter output;
    readonly bool interactive;
    readonly TimeSpan plainInterval;
    readonly Stopwatch clock = Stopwatch.StartNew();
    IProgressDisplay? bar;
    int done, total;

    /// <summary>Bars on <paramref name="output"/>.</summary>
    /// <param name="output">Where the bars go.</param>
    /// <param name="interactive">A live bar (a terminal) or plain lines (redirected output).</param>
    /// <param name="plainInterval">How often a plain line is written (the last one always is).</param>
    public TaskProgressBar(TextWriter output, bool interactive, TimeSpan plainInterval)
    {
        this.output = output ?? throw new ArgumentNullException(nameof(output));
        (this.interactive, this.plainInterval) = (interactive, plainInterval);
    }

    /// <summary>Bars on the console, live when the output is a terminal, plain lines every ten seconds otherwise.</summary>
    public static TaskProgressBar Console() => new(System.Console.Out, !System.Console.IsOutputRedirected, TimeSpan.FromSeconds(10));

    /// <inheritdoc />
    public void Start(string name, int total)
    {
        Finish();
        (done, this.total) = (0, total);
        if (total < 1) return;
        if (!interactive) output.WriteLine(name);
        bar = interactive
            ? new LiveProgressBar(total, name, output, 0, "item")
            : new ProgressBar(total, output, interactive: false, plainInterval, () => clock.Elapsed, 0, "item");
    }

    /// <inheritdoc />
    public void Advance(int items)
    {
        if (bar is null || items <= 0) return;
        done = Math.Min(total, done + items);
        bar.Update(done, new Dictionary<string, double>(), new Dictionary<string, double>());
    }

    /// <inheritdoc />
    public void Finish()
    {
        bar?.Finish(done, done < total ? "incomplete" : null);
        bar = null;
    }

    /// <summary>Ends a bar left open.</summary>
    public void Dispose() => Finish();
}
