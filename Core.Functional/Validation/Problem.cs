using System.Collections;
using System.Globalization;

namespace Functional.Core;

/// <summary>
/// One thing wrong with a value given to a constructor: which parameter, the value as given, and what is expected.
/// The libraries' checks return these (<see cref="Bounds"/>, and the <c>Check</c> functions of the records that hold
/// hyperparameters), their constructors throw the first one (<see cref="Problems.OrThrow{T}"/>), and the facade
/// reports all of them at once — so each bound is written once.
/// </summary>
/// <param name="Parameter">The parameter, as its owner names it (<c>B1</c>, <c>keepLast</c>).</param>
/// <param name="Value">The offending value as given.</param>
/// <param name="Text">What is wrong and what is expected, in words that follow <c>name = value:</c>.</param>
public sealed record Problem(string Parameter, object? Value, string Text)
{
    /// <summary><c>Parameter = value: text</c>, the value written by <see cref="Show"/>.</summary>
    public override string ToString() => $"{Parameter} = {Show(Value)}: {Text}";

    /// <summary>
    /// The exception a constructor throws for this problem: <see cref="ArgumentNullException"/> for a null value,
    /// <see cref="ArgumentException"/> for a string, <see cref="ArgumentOutOfRangeException"/> for anything else;
    /// the message is <see cref="ToString"/> and the parameter name is <see cref="Parameter"/>.
    /// </summary>
    public ArgumentException ToException() => Value switch
    {
        null => new ArgumentNullException(Parameter, $"{this}."),
        string => new ArgumentException($"{this}.", Parameter),
        _ => new ArgumentOutOfRangeException(Parameter, Value, $"{this}."),
    };

    /// <summary>A value as it appears in messages: numbers in invariant culture, strings quoted, lists bracketed.</summary>
    public static string Show(object? value) => value switch
    {
        null => "null",
        string text => $"'{text}'",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => $"[{string.Join(", ", items.Cast<object?>().Select(Show))}]",
        _ => value.ToString() ?? "",
    };
}
