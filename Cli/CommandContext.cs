namespace Functional.Cli;

/// <summary>What every command's action writes to and listens to, given to <see cref="ICommandFamily.Build"/>.</summary>
/// <param name="Output">Results and progress lines (standard output when run as a program).</param>
/// <param name="Error">Warnings (standard error when run as a program).</param>
/// <param name="Stop">Cancelled by Ctrl-C; a training stops cleanly at its next step and the program then exits with 130.</param>
public sealed record CommandContext(TextWriter Output, TextWriter Error, CancellationToken Stop);
