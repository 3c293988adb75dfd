namespace Functional.Cli;

/// <summary>What every command's action writes to and listens to, given to <see cref="ICommandFamily.Build"/>.</summary>
/// <param name="Output">Results and progress lines (standard output when run as a program).</param>
/// <param name="Error">Warnings (standard error when run as a program).</param>
/// <param name="Stop">Cancelled by Ctrl-C or SIGTERM; a training stops cleanly at its next step, writes a checkpoint there, and the program then exits with 130 or 143.</param>
public sealed record CommandContext(TextWriter Output, TextWriter Error, CancellationToken Stop)
{
    /// <summary>The exit code of a run that <see cref="Stop"/> ended, asked after the stop: <see cref="Program.Interrupted"/> (the default) or <see cref="Program.Terminated"/>.</summary>
    public Func<int> StopExitCode { get; init; } = () => Program.Interrupted;
}
