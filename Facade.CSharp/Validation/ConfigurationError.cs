namespace Functional.Facade;

/// <summary>One configuration error found by a builder: which setting, the offending value, and what was expected.</summary>
/// <param name="Setting">The builder call and argument, e.g. <c>Adam.learningRate</c> or <c>Freeze("embedding/*")</c>.</param>
/// <param name="Value">The offending value as given (a number, a pattern, a list of patterns).</param>
/// <param name="Problem">What is wrong and what is expected, in words.</param>
public sealed record ConfigurationError(string Setting, object? Value, string Problem)
{
    /// <summary><c>Setting = value: problem</c>, numbers written invariantly.</summary>
    public override string ToString() => $"{Setting} = {Show(Value)}: {Problem}";

    /// <summary>A value as it appears in messages: numbers in invariant culture, strings quoted, lists bracketed (<see cref="Functional.Core.Problem.Show"/>).</summary>
    public static string Show(object? value) => Functional.Core.Problem.Show(value);
}
