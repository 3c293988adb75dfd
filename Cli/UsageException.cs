namespace Functional.Cli;

/// <summary>
/// A command line that cannot mean anything, found by a command's own checks (exit code 2). Problems found later, while
/// the work runs, are any other exception (exit code 1): a shape error in a layer is never a usage error.
/// </summary>
public sealed class UsageException : Exception
{
    /// <summary>A usage error whose message names the flag and the values it accepts.</summary>
    public UsageException(string message) : base(message) { }

    /// <summary>A usage error with no message (for serializers and analyzers; prefer the message form).</summary>
    public UsageException() { }

    /// <summary>A usage error caused by <paramref name="inner"/>.</summary>
    public UsageException(string message, Exception inner) : base(message, inner) { }
}
