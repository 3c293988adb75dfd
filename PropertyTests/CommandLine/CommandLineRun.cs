using Functional.Cli;

namespace Functional.PropertyTests.CommandLine;

/// <summary>One in-process run of the command line: its exit code and what it wrote to each stream.</summary>
public sealed record CommandLineRun(int ExitCode, string Output, string Error)
{
    /// <summary>Runs <see cref="Program.Run"/> on <paramref name="args"/> with captured streams (and a cancelled token when <paramref name="stopped"/>).</summary>
    public static CommandLineRun Of(IReadOnlyList<string> args, bool stopped = false)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = Program.Run(args, output, error, new CancellationToken(stopped));
        return new CommandLineRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The lines written to standard error, without empty ones.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}
