using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Functional.Cli;

/// <summary>
/// The command line of the example models: each model's commands are an <see cref="ICommandFamily"/>, collected under
/// one root. Exit codes: <see cref="Success"/>, <see cref="Failure"/>, <see cref="UsageError"/>, <see cref="Interrupted"/>.
/// </summary>
public static class Program
{
    /// <summary>The work was done (or help or the version was printed).</summary>
    public const int Success = 0;

    /// <summary>The work failed while running: one line on standard error (the stack trace too with <c>--verbose</c>).</summary>
    public const int Failure = 1;

    /// <summary>The command line means nothing: the error names the flag and what it accepts; no work was started.</summary>
    public const int UsageError = 2;

    /// <summary>Ctrl-C (SIGINT) stopped the work (after the clean stop: a training keeps a checkpoint at its last step).</summary>
    public const int Interrupted = 130;

    /// <summary>SIGTERM (a scheduler, <c>docker stop</c>, <c>mpirun</c> ending its ranks) stopped the work, as Ctrl-C does: a training keeps a checkpoint at its last step, so a requeued job resumes from it.</summary>
    public const int Terminated = 143;

    /// <summary>The program's name, as the help and the errors show it.</summary>
    public const string Name = "Functional.Cli";

    /// <summary>The program's description, the root of the help.</summary>
    public const string Description = "Train, evaluate and sample the example models of Functional (deep learning as pure functions on TorchSharp).";

    /// <summary>Runs the command line with the console's streams, libtorch's OpenMP wait set first (<see cref="LibtorchThreads.ApplyDefaults"/>) and its thread count chosen for the machine's load (<see cref="LibtorchThreads.ChooseForLoad"/>); SIGINT (Ctrl-C) and SIGTERM (and under mpirun the SIGCONT that announces its SIGTERM) cancel the running command cleanly (<see cref="StopRequest"/>).</summary>
    public static int Main(string[] args)
    {
        // Before anything can load libtorch: its OpenMP runtime reads the wait policy once, when it loads (LibtorchThreads).
        LibtorchThreads.ApplyDefaults();
        LibtorchThreads.ChooseForLoad();
        using var stop = StopRequest.ForSignals(underMpirun: Functional.Distributed.Communicator.LaunchedByMpirun);
        return RunUntilStopped(args, Console.Out, Console.Error, stop);
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/> as <see cref="Run(IReadOnlyList{string}, TextWriter, TextWriter, CancellationToken)"/>,
    /// stopped by <paramref name="stop"/>: a stopped run exits with its <see cref="StopRequest.ExitCode"/> (130 or 143).
    /// </summary>
    public static int RunUntilStopped(IReadOnlyList<string> args, TextWriter output, TextWriter error, StopRequest stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        return Run(args, output, error, stop.Token, () => (stop.ExitCode, stop.Describe()));
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>, writing results and help to <paramref name="output"/> and errors to
    /// <paramref name="error"/>; returns the exit code. Usage errors are found before any work starts.
    /// </summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken stop = default) =>
        Run(args, output, error, stop, () => (Interrupted, "stopped by Ctrl-C."));

    static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken stop, Func<(int Code, string Message)> stopped)
    {
        var context = new CommandContext(output, error, stop) { StopExitCode = () => stopped().Code };
        ParseResult parsed;
        try { parsed = Parse(args, context); }
        catch (Exception thrown) when (thrown is InvalidOperationException or ArgumentException or FormatException)
        {
            // A validator that read a value it could not have is a bug, but the user still gets one line and exit 2, never
            // an unhandled exception (rc 134); the validators read values through Flags.TryGetValue so that it does not happen.
            error.WriteLine($"error: the command line could not be checked: {OneLine(thrown.Message)}");
            if (args.Contains(VerboseName)) error.WriteLine(thrown);
            return UsageError;
        }
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            foreach (var line in UsageErrors.Lines(parsed)) error.WriteLine(line);
            return UsageError;
        }
        var verbose = parsed.RootCommandResult.Command.Options.OfType<Option<bool>>().First(o => o.Name == VerboseName) is var flag && parsed.GetValue(flag);
        try
        {
            LibtorchThreads.ApplyChosen(parsed);
            var code = parsed.Invoke(configuration);
            return stop.IsCancellationRequested ? Stopped(error, stopped) : code;
        }
        catch (Exception thrown)
        {
            var problem = Unwrap(thrown);
            if (problem is OperationCanceledException && stop.IsCancellationRequested) return Stopped(error, stopped);
            error.WriteLine(problem is UsageException ? $"{problem.Message} See '{UsageErrors.Path(parsed)} --help'." : Line(problem));
            if (verbose) error.WriteLine(thrown);
            return problem is UsageException ? UsageError : Failure;
        }
    }

    /// <summary>
    /// The parse of <paramref name="args"/> against the whole command tree, with every option's validator run (no
    /// action is invoked): for tests and for tools that want the values without running the command.
    /// </summary>
    public static ParseResult Parse(IReadOnlyList<string> args, CommandContext? context = null) =>
        Root(context ?? new CommandContext(TextWriter.Null, TextWriter.Null, CancellationToken.None)).Parse(args);

    /// <summary>The command tree: the root (with <c>--help</c>, <c>--version</c>, <c>--verbose</c>) and every family.</summary>
    public static Command Root(CommandContext context)
    {
        // A plain command named after the program rather than RootCommand, whose name (and so the help's usage line)
        // would be the host's: "testhost" under a test runner, "dotnet" in some launches.
        var root = new Command(Name, Description)
        {
            new HelpOption(), new VersionOption(),
            new Option<bool>(VerboseName) { Description = "on an error, print its stack trace too", Recursive = true },
        };
        foreach (var family in CommandFamilies.All) root.Add(family.Build(context));
        return root;
    }

    /// <summary>The option, on every command, with which a runtime error prints its stack trace too.</summary>
    public const string VerboseName = "--verbose";

    static int Stopped(TextWriter error, Func<(int Code, string Message)> stopped)
    {
        var (code, message) = stopped();
        error.WriteLine(message);
        return code;
    }

    /// <summary>
    /// The line and exit code the program gives for <paramref name="thrown"/> (as <see cref="Run(IReadOnlyList{string}, TextWriter, TextWriter, CancellationToken)"/>
    /// prints it), for a rank that ends a data-parallel job with it (<see cref="Functional.Distributed.JobFailure"/>): a stop
    /// request's cancellation gives <paramref name="context"/>'s stop code, a usage error 2, anything else 1.
    /// </summary>
    internal static Functional.Distributed.FailureReport Report(Exception thrown, CommandContext context)
    {
        var problem = Unwrap(thrown);
        if (problem is OperationCanceledException && context.Stop.IsCancellationRequested) return new("stopped before the ranks could agree on a step; ending the job.", context.StopExitCode());
        return problem is UsageException ? new(OneLine(problem.Message), UsageError) : new(Line(problem), Failure);
    }

    static string Line(Exception problem) => $"error: {OneLine(problem.Message)}";

    static Exception Unwrap(Exception thrown) => thrown switch
    {
        AggregateException { InnerExceptions.Count: 1 } many => Unwrap(many.InnerExceptions[0]),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ => thrown,
    };

    static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
