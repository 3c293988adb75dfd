namespace Functional.Cli;

/// <summary>
/// A minimal progress indication: "N/M articles" rewritten in place on standard error when it is a terminal, nothing
/// otherwise (a redirected stream gets no carriage returns). Reports arrive on the caller's thread, in order.
/// </summary>
/// <param name="error">Where the line is written.</param>
/// <param name="total">The number the count goes up to.</param>
/// <param name="what">What is counted.</param>
public sealed class StatusLine(TextWriter error, int total, string what) : IProgress<int>, IDisposable
{
    readonly bool visible = !Console.IsErrorRedirected;
    bool written;

    /// <inheritdoc />
    public void Report(int value)
    {
        if (!visible) return;
        error.Write($"\r{value}/{total} {what}");
        error.Flush();
        written = true;
    }

    /// <summary>Ends the line, when one was written.</summary>
    public void Dispose()
    {
        if (written) error.WriteLine();
    }
}
