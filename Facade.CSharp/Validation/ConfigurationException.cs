using LanguageExt;

namespace Functional.Facade;

/// <summary>
/// Thrown by a builder's <c>Build</c> when its configuration is invalid: <see cref="Errors"/> holds every error found
/// (never just the first), and the message lists them one per line.
/// </summary>
public sealed class ConfigurationException : ArgumentException
{
    /// <summary>An exception listing <paramref name="errors"/> (at least one).</summary>
    public ConfigurationException(string what, Seq<ConfigurationError> errors)
        : base($"{what}: {errors.Count} configuration error{(errors.Count == 1 ? "" : "s")}:{Environment.NewLine}"
               + string.Join(Environment.NewLine, errors.Map(e => $"  - {e}")))
    {
        Errors = errors;
    }

    /// <summary>Every error found, in the order of the configuration.</summary>
    public Seq<ConfigurationError> Errors { get; }
}
