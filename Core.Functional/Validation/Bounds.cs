namespace Functional.Core;

/// <summary>
/// The bounds that hyperparameters share, as checks that return their <see cref="Problem"/>s (none when the value is
/// valid) instead of throwing. The libraries' constructors and the facade's validation both call these, so a bound
/// and its wording live here only.
/// </summary>
public static class Bounds
{
    /// <summary>A finite number &gt;= 0 (a learning rate, a weight decay, an epsilon).</summary>
    public static IReadOnlyList<Problem> NonNegative(string parameter, double value) =>
        Problems.Unless(value >= 0 && double.IsFinite(value), parameter, value, "must be a finite number >= 0");

    /// <summary>A whole number &gt;= 0 (a step).</summary>
    public static IReadOnlyList<Problem> NonNegative(string parameter, long value) =>
        Problems.Unless(value >= 0, parameter, value, "must be >= 0");

    /// <summary>A finite number &gt; 0 (a norm bound).</summary>
    public static IReadOnlyList<Problem> Positive(string parameter, double value) =>
        Problems.Unless(value > 0 && double.IsFinite(value), parameter, value, "must be a finite number > 0");

    /// <summary>A finite number.</summary>
    public static IReadOnlyList<Problem> Finite(string parameter, double value) =>
        Problems.Unless(double.IsFinite(value), parameter, value, "must be finite");

    /// <summary>A decay rate (or a dropout rate) in [0, 1).</summary>
    public static IReadOnlyList<Problem> Decay(string parameter, double value) =>
        Problems.Unless(value is >= 0 and < 1, parameter, value, "must be in [0, 1)");

    /// <summary>An interpolation weight in [0, 1].</summary>
    public static IReadOnlyList<Problem> Fraction(string parameter, double value) =>
        Problems.Unless(value is >= 0 and <= 1, parameter, value, "must be in [0, 1]");

    /// <summary>A share strictly between 0 and 1 (a held-out share).</summary>
    public static IReadOnlyList<Problem> OpenFraction(string parameter, double value) =>
        Problems.Unless(value is > 0 and < 1, parameter, value, "must be in (0, 1)");

    /// <summary>A count of at least 1 (epochs, micro-batches, patience).</summary>
    public static IReadOnlyList<Problem> AtLeastOne(string parameter, int value) =>
        Problems.Unless(value >= 1, parameter, value, "must be at least 1");

    /// <summary>Any value but null.</summary>
    public static IReadOnlyList<Problem> NotNull(string parameter, object? value) =>
        Problems.Unless(value is not null, parameter, value, "must not be null");
}
