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

    /// <summary>The errors of <see cref="PathRule.Validate"/>, named <c>Freeze.pattern</c> or <c>ScaleLearningRate('x').multiplier</c>.</summary>
    public Seq<ConfigurationError> Errors() =>
        PathRule.Validate(Pattern, Multiplier).ToSeq().Bind(problem => Checks.As(
            problem.Parameter == nameof(PathRule.Pattern) ? $"{Call}.pattern" : $"{this}.multiplier", [problem]));

    public PathRule ToCore() => Call == nameof(OptimizerBuilder.Freeze) ? PathRule.Freeze(Pattern) : new PathRule(Pattern, Multiplier);
}
