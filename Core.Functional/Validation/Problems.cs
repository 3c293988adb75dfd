namespace Functional.Core;

/// <summary>Making and throwing <see cref="Problem"/> lists: a check returns one, a constructor throws it.</summary>
public static class Problems
{
    /// <summary>No problem.</summary>
    public static IReadOnlyList<Problem> None { get; } = [];

    /// <summary>No problem when <paramref name="valid"/>, otherwise one: <c>new Problem(parameter, value, text)</c>.</summary>
    public static IReadOnlyList<Problem> Unless(bool valid, string parameter, object? value, string text) =>
        valid ? None : [new Problem(parameter, value, text)];

    /// <summary><paramref name="value"/> when there is no problem; otherwise throws the first one (<see cref="Problem.ToException"/>).</summary>
    /// <exception cref="ArgumentException">There is a problem.</exception>
    public static T OrThrow<T>(T value, IReadOnlyList<Problem> problems) => problems.Count == 0 ? value : throw problems[0].ToException();

    /// <summary>Throws the first problem, if any (<see cref="Problem.ToException"/>).</summary>
    /// <exception cref="ArgumentException">There is a problem.</exception>
    public static void ThrowIfAny(IReadOnlyList<Problem> problems)
    {
        if (problems.Count > 0) throw problems[0].ToException();
    }
}
