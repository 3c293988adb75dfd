using LanguageExt;

namespace Functional.Facade;

/// <summary>
/// The facade's value checks: each returns the errors of one value (none when it is valid) instead of throwing, so
/// that a builder can report all of its errors together. The bounds are the core constructors' own.
/// </summary>
internal static class Checks
{
    static Seq<ConfigurationError> Unless(bool valid, string setting, object? value, string problem) =>
        valid ? Seq<ConfigurationError>.Empty : Prelude.Seq1(new ConfigurationError(setting, value, problem));

    public static Seq<ConfigurationError> NonNegative(string setting, double value) =>
        Unless(value >= 0 && double.IsFinite(value), setting, value, "must be a finite number >= 0");

    public static Seq<ConfigurationError> Positive(string setting, double value) =>
        Unless(value > 0 && double.IsFinite(value), setting, value, "must be a finite number > 0");

    /// <summary>A decay rate in [0, 1).</summary>
    public static Seq<ConfigurationError> Decay(string setting, double value) =>
        Unless(value is >= 0 and < 1, setting, value, "must be in [0, 1)");

    public static Seq<ConfigurationError> AtLeastOne(string setting, int value) =>
        Unless(value >= 1, setting, value, "must be at least 1");

    public static Seq<ConfigurationError> Pattern(string setting, string? pattern) =>
        Unless(!string.IsNullOrWhiteSpace(pattern), setting, pattern, "a path pattern must not be empty");

    public static Seq<ConfigurationError> NotNull(string setting, object? value) =>
        Unless(value is not null, setting, value, "must not be null");
}
