using System.Collections.Immutable;
using Functional.Core;
using Functional.Optimizers;
using LanguageExt;

namespace Functional.Facade;

/// <summary>
/// An immutable optimizer pipeline under construction: every method returns a new builder. <see cref="Build()"/>
/// makes the core value in the core's order, whatever the order of the calls (<see cref="PipelineParts.Assemble"/>):
/// <c>Accumulate(Chain(ClipByGlobalNorm, ..alias stages, PathMultipliers(rules), ParameterEma), k)</c>, each part
/// only when asked for.
/// </summary>
/// <remarks>
/// Nothing is checked until <see cref="Validate()"/> or <c>Build</c>, which report every error at once
/// (<see cref="ConfigurationError"/>): out-of-range numbers, empty patterns, two rules with the same pattern, and,
/// against a parameter tree, rules that match no parameter and rules that match a parameter together. A setting
/// given twice (two <c>ClipByGlobalNorm</c> calls) keeps the last value; rules accumulate in call order.
/// </remarks>
public sealed record OptimizerBuilder
{
    internal OptimizerBuilder(BaseOptimizer start) => Start = start;

    BaseOptimizer Start { get; init; }
    double? MaxGlobalNorm { get; init; }
    int? MicroBatches { get; init; }
    EmaSetting? Ema { get; init; }
    ImmutableList<RuleSetting> Rules { get; init; } = [];

    /// <summary>Clips the gradient to global norm <paramref name="maxNorm"/> (&gt; 0) first: <see cref="Functional.Optimizers.ClipByGlobalNorm"/>.</summary>
    public OptimizerBuilder ClipByGlobalNorm(double maxNorm) => this with { MaxGlobalNorm = maxNorm };

    /// <summary>One real update every <paramref name="k"/> (&gt;= 1) micro-batches, on their mean gradient: <see cref="Accumulate"/>.</summary>
    public OptimizerBuilder AccumulateEvery(int k) => this with { MicroBatches = k };

    /// <summary>Keeps a Polyak average of the parameters (decay in [0, 1), no bias correction): <see cref="ParameterEma"/>.</summary>
    public OptimizerBuilder WithEma(double decay) => WithEma(decay, biasCorrection: false);

    /// <summary>Keeps a Polyak average of the parameters: <see cref="ParameterEma"/>.</summary>
    public OptimizerBuilder WithEma(double decay, bool biasCorrection) => this with { Ema = new EmaSetting(decay, biasCorrection) };

    /// <summary>Multiplies the updates of the parameters matching <paramref name="pattern"/> by <paramref name="multiplier"/> (&gt;= 0): a <see cref="PathRule"/>.</summary>
    public OptimizerBuilder ScaleLearningRate(string pattern, double multiplier) =>
        this with { Rules = Rules.Add(new RuleSetting(nameof(ScaleLearningRate), pattern, multiplier)) };

    /// <summary>Freezes the parameters matching <paramref name="pattern"/> (zero updates): <see cref="PathRule.Freeze"/>.</summary>
    public OptimizerBuilder Freeze(string pattern) => this with { Rules = Rules.Add(new RuleSetting(nameof(Freeze), pattern, 0)) };

    /// <summary>Every error of the configuration that needs no parameter tree (empty when it is valid).</summary>
    public Seq<ConfigurationError> Validate() =>
        Start.Errors
        + (MaxGlobalNorm is { } norm ? Checks.As("ClipByGlobalNorm.maxNorm", Functional.Optimizers.ClipByGlobalNorm.Validate(norm)) : [])
        + (MicroBatches is { } k ? Checks.As("AccumulateEvery.k", Accumulate.Validate(k)) : [])
        + (Ema is { } ema ? Checks.As("WithEma.decay", ParameterEma.Validate(ema.Decay)) : [])
        + Rules.ToSeq().Bind(rule => rule.Errors())
        + RuleChecks.SamePatterns(Rules)
        + (Start.CreateFused is not null && MicroBatches is { } every
            ? Prelude.Seq1(new ConfigurationError("AccumulateEvery.k", every, "the fused Adam kernel takes only ClipByGlobalNorm and WithEma: start from Adam(...) to accumulate"))
            : [])
        + (Start.CreateFused is not null && !Rules.IsEmpty
            ? Prelude.Seq1(new ConfigurationError($"{Rules[0].Call}.pattern", Rules[0].Pattern, "the fused Adam kernel takes only ClipByGlobalNorm and WithEma: start from Adam(...) for per-path rules"))
            : []);

    /// <summary>
    /// Every error of the configuration for a model with these <paramref name="parameters"/>: those of
    /// <see cref="Validate()"/>, then each rule that matches none of the tree's paths, then each pair of rules that
    /// match a parameter together (with the paths they share).
    /// </summary>
    public Seq<ConfigurationError> Validate<TParams>(TParams parameters) => Validate() + RuleChecks.AgainstPaths(Rules, Tree.Paths(parameters));

    /// <summary>The core pipeline, or every configuration error.</summary>
    public Validation<ConfigurationError, IGradientTransformation> TryBuild() => Checked(Validate());

    /// <summary>The core pipeline for these parameters, or every configuration error (including unknown and overlapping paths).</summary>
    public Validation<ConfigurationError, IGradientTransformation> TryBuild<TParams>(TParams parameters) => Checked(Validate(parameters));

    /// <summary>The core pipeline.</summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public IGradientTransformation Build() => OrThrow(TryBuild());

    /// <summary>The core pipeline, checked against the paths of <paramref name="parameters"/>.</summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public IGradientTransformation Build<TParams>(TParams parameters) => OrThrow(TryBuild(parameters));

    static IGradientTransformation OrThrow(Validation<ConfigurationError, IGradientTransformation> result) =>
        result.Match(pipeline => pipeline, errors => throw new ConfigurationException("Optimizer", errors));

    Validation<ConfigurationError, IGradientTransformation> Checked(Seq<ConfigurationError> errors) =>
        errors.IsEmpty ? Prelude.Success<ConfigurationError, IGradientTransformation>(Assemble()) : Prelude.Fail<ConfigurationError, IGradientTransformation>(errors);

    IGradientTransformation Assemble() =>
        Start.CreateFused is { } fused
            ? fused() with
            {
                Clip = MaxGlobalNorm is { } clip ? new Functional.Optimizers.ClipByGlobalNorm(clip) : null,
                Average = Ema is { } average ? new ParameterEma(average.Decay, average.BiasCorrection) : null,
            }
            : new PipelineParts(
            Start.Create(),
            MaxGlobalNorm is { } norm ? new Functional.Optimizers.ClipByGlobalNorm(norm) : null,
            Rules.IsEmpty ? null : new PathMultipliers(Rules.Select(rule => rule.ToCore()).ToArray()),
            Ema is { } ema ? new ParameterEma(ema.Decay, ema.BiasCorrection) : null,
            MicroBatches).Assemble();
}

/// <summary>The averaging asked for by <see cref="OptimizerBuilder.WithEma(double, bool)"/>.</summary>
internal sealed record EmaSetting(double Decay, bool BiasCorrection);
