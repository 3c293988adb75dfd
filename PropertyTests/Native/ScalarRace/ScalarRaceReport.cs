using Functional.Models.Titles;
namespace Functional.PropertyTests.Native;

/// <summary>One failed iteration of a part of the <see cref="ScalarRaceWorkload"/>.</summary>
/// <param name="Part">The part's name.</param>
/// <param name="Iteration">The iteration (from 0) that failed.</param>
/// <param name="Message">The exception's type and message, or for a wrong result the value and the reference.</param>
/// <param name="Frame">The innermost frame of the stack in the library's code (<c>Functional.*</c>, not this workload), or empty.</param>
/// <param name="Stack">The first lines of the exception's stack (empty for a wrong result).</param>
public sealed record ScalarRaceFailure(string Part, int Iteration, string Message, string Frame, string Stack)
{
    /// <summary>The message's first line and the library frame: what groups failures of the same cause.</summary>
    public string Key => Frame.Length == 0 ? FirstLine : $"{FirstLine} [{Frame}]";

    /// <summary>The first line of <see cref="Message"/>.</summary>
    public string FirstLine => Message.Split('\n')[0].Trim();

    /// <inheritdoc />
    public override string ToString() => Stack.Length == 0
        ? $"{Part} (iteration {Iteration}): {Message}"
        : $"{Part} (iteration {Iteration}): {Message}{Environment.NewLine}  in {Frame}{Environment.NewLine}{Stack}";
}

/// <summary>How one part fared over a run.</summary>
/// <param name="Part">The part's name.</param>
/// <param name="Runs">Iterations run.</param>
/// <param name="Exceptions">Iterations that threw.</param>
/// <param name="WrongResults">Iterations that returned a checksum other than the reference (or a non-finite one).</param>
/// <param name="First">The first failure, if any.</param>
/// <param name="Messages">Distinct failures (<see cref="ScalarRaceFailure.Key"/>) with how often each occurred.</param>
/// <param name="Elapsed">Time spent in this part.</param>
public sealed record ScalarRacePartReport(string Part, int Runs, int Exceptions, int WrongResults, ScalarRaceFailure? First, IReadOnlyDictionary<string, int> Messages, TimeSpan Elapsed)
{
    /// <summary>Iterations that threw or returned a wrong result.</summary>
    public int Failures => Exceptions + WrongResults;
}

/// <summary>The result of <see cref="ScalarRaceWorkload.Run"/>.</summary>
/// <param name="Iterations">Iterations run (each runs every selected part once).</param>
/// <param name="Parts">Per part, in the order they ran.</param>
/// <param name="Collections">Collections forced by the <see cref="FinalizingCollector"/> during the run (0 without it).</param>
/// <param name="Elapsed">Wall-clock time of the iterations.</param>
public sealed record ScalarRaceReport(int Iterations, IReadOnlyList<ScalarRacePartReport> Parts, long Collections, TimeSpan Elapsed)
{
    /// <summary>Failed iterations over all parts.</summary>
    public int Failures => Parts.Sum(p => p.Failures);

    /// <summary>One line per part that failed with its counts and first failure, or "no failures".</summary>
    public string Describe() => Failures == 0
        ? $"no failures in {Iterations} iterations of {Parts.Count} parts ({Collections} forced collections)"
        : string.Join(Environment.NewLine, Parts.Where(p => p.Failures > 0).Select(p =>
            $"{p.Part}: {p.Exceptions} exceptions and {p.WrongResults} wrong results in {p.Runs} iterations; first: {p.First?.Key}"));
}
