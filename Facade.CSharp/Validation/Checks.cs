using Functional.Core;
using LanguageExt;

namespace Functional.Facade;

/// <summary>
/// The facade's value checks: each returns the errors of one value (none when it is valid) instead of throwing, so
/// that a builder can report all of its errors together. None holds a bound of its own: each maps the
/// <see cref="Problem"/>s of the core check (<see cref="Bounds"/>, or a record's <c>Validate</c>) into
/// <see cref="ConfigurationError"/>s named as the builder call names them.
/// </summary>
internal static class Checks
{
    /// <summary>The core's problems of one value, each named <paramref name="setting"/> (<c>Adam.learningRate</c>).</summary>
    public static Seq<ConfigurationError> As(string setting, IEnumerable<Problem> problems) =>
        problems.Select(problem => new ConfigurationError(setting, problem.Value, problem.Text)).ToSeq();

    /// <summary>
    /// The core's problems of several values, each named <c>call.parameter</c> with the parameter's first letter in
    /// lower case, as the C# argument is (<c>B1</c> of <c>ScaleByAdam</c> becomes <c>Adam.b1</c>).
    /// </summary>
    public static Seq<ConfigurationError> Of(string call, IEnumerable<Problem> problems) =>
        problems.Select(problem => new ConfigurationError($"{call}.{char.ToLowerInvariant(problem.Parameter[0])}{problem.Parameter[1..]}", problem.Value, problem.Text)).ToSeq();

    /// <summary><see cref="Bounds.AtLeastOne"/>.</summary>
    public static Seq<ConfigurationError> AtLeastOne(string setting, int value) => As(setting, Bounds.AtLeastOne(setting, value));

    /// <summary><see cref="Bounds.Decay"/>.</summary>
    public static Seq<ConfigurationError> Decay(string setting, double value) => As(setting, Bounds.Decay(setting, value));

    /// <summary><see cref="Bounds.NotNull"/>.</summary>
    public static Seq<ConfigurationError> NotNull(string setting, object? value) => As(setting, Bounds.NotNull(setting, value));
}
