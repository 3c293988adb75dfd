using Functional.Optimizers;
using LanguageExt;

namespace Functional.Facade;

/// <summary>One per-path rule as the builder was given it (unchecked).</summary>
/// <param name="Call">The builder method: <c>ScaleLearningRate</c> or <c>Freeze</c>.</param>
/// <param name="Pattern">The path glob (<see cref="PathPattern"/>).</param>
/// <param name="Multiplier">The learning-rate multiplier; 0 for <c>Freeze</c>.</param>
internal sealed record RuleSetting(string Call, string Pattern, double Multiplier)
{
    /// <summary>How messages name the rule: <c>Freeze('embedding/*')</c>.</summary>
    public override string ToString() => $"{Call}('{Pattern}')";

    public Seq<ConfigurationError> Errors() =>
        Checks.Pattern($"{Call}.pattern", Pattern)
        + (Call == nameof(OptimizerBuilder.Freeze) ? [] : Checks.NonNegative($"{this}.multiplier", Multiplier));

    public PathRule ToCore() => Call == nameof(OptimizerBuilder.Freeze) ? PathRule.Freeze(Pattern) : new PathRule(Pattern, Multiplier);
}
