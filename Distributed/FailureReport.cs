namespace Functional.Distributed;

/// <summary>What a failing rank says before it ends the job (<see cref="JobFailure"/>).</summary>
/// <param name="Message">One line naming what failed (the file, option or value).</param>
/// <param name="ExitCode">The job's exit code: non-zero (0 is replaced by 1).</param>
public sealed record FailureReport(string Message, int ExitCode);
