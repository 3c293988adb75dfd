using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>
/// One source of truth: each record's <c>Validate</c> returns a problem exactly when its constructor throws, and the
/// constructor throws that problem (its parameter name and text); <see cref="PathRuleReport.Validate"/> is empty exactly
/// when <see cref="PathRuleReport.Resolve"/> succeeds; <see cref="PipelineParts.Assemble"/> puts the parts in one order.
/// </summary>
public sealed class ValidateProperties
{
    static readonly double[] Numbers = [0, 1e-8, 0.5, 0.999, 1, 2, -1e-3, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    /// <summary>Validate's first problem is the constructor's exception; no problem, no exception.</summary>
    static void Agree(IReadOnlyList<Problem> problems, Action construct)
    {
        var thrown = Record.Exception(construct);
        if (problems.Count == 0)
        {
            Assert.Null(thrown);
            return;
        }
        var error = Assert.IsAssignableFrom<ArgumentException>(thrown);
        Assert.Equal(problems[0].Parameter, error.ParamName);
        Assert.Contains(problems[0].Text, error.Message);
    }

    [Property(MaxTest = 300)]
    public void Stage_checks_are_their_constructors_checks(int seed)
    {
        var random = new Random(seed);
        var (a, b, c, k) = (Numbers[random.Next(Numbers.Length)], Numbers[random.Next(Numbers.Length)], Numbers[random.Next(Numbers.Length)], random.Next(-2, 4));
        {
            Agree(ScaleByAdam.Validate(a, b, c), () => _ = new ScaleByAdam(a, b, c));
            Agree(ClipByGlobalNorm.Validate(a), () => _ = new ClipByGlobalNorm(a));
            Agree(ParameterEma.Validate(a), () => _ = new ParameterEma(a, false));
            Agree(AddDecayedWeights.Validate(a), () => _ = new AddDecayedWeights(a));
            Agree(Trace.Validate(a), () => _ = new Trace(a, false));
            Agree(Constant.Validate(a), () => _ = new Constant(a));
            Agree(Accumulate.Validate(k), () => _ = new Accumulate(Identity.Instance, k));
            Agree(PathRule.Validate(k > 0 ? "**/bias" : k == 0 ? " " : "", a), () => _ = new PathRule(k > 0 ? "**/bias" : k == 0 ? " " : "", a));
        }
    }

    static readonly string[] Paths = ["weight", "bias", "encoder/weight", "encoder/bias", "decoder/layers/0/weight", "decoder/layers/1/bias"];

    static readonly string[] Patterns = ["weight", "bias", "**/bias", "encoder/*", "encoder/**", "decoder/**", "decoder/layers/*/weight", "missing/*", "**"];

    [Property(MaxTest = 300)]
    public void Path_rule_problems_are_what_resolve_rejects(int seed)
    {
        var random = new Random(seed);
        var patterns = Enumerable.Range(0, random.Next(0, 5)).Select(_ => Patterns[random.Next(Patterns.Length)]).ToArray();
        var paths = Paths.Where(_ => random.Next(3) > 0).ToArray();
        {
            var problems = PathRuleReport.Validate(patterns, paths);
            var thrown = Record.Exception(() => PathRuleReport.Resolve(patterns, paths));
            Assert.Equal(problems.Count == 0, thrown is null);
            foreach (var problem in problems)
            {
                Assert.Contains(problem.Message(patterns), thrown!.Message);
                if (problem.Paths.Count == 0) Assert.DoesNotContain(paths, path => PathPattern.Matches(patterns[problem.Rules[0]], path));
                else Assert.All(problem.Paths, path => Assert.All(problem.Rules, r => Assert.True(PathPattern.Matches(patterns[r], path))));
            }
        }
    }

    [Fact]
    public void Pipeline_parts_go_clip_optimizer_rules_average_inside_accumulate()
    {
        var (clip, rules, average) = (new ClipByGlobalNorm(1), new PathMultipliers([PathRule.Freeze("bias")]), new ParameterEma(0.9, false));
        var adamW = Optimizer.AdamW(1e-3, 0.01);
        Assert.Equal(new Accumulate(new Chain([clip, .. adamW.Stages, rules, average]), 4),
            new PipelineParts(adamW, clip, rules, average, 4).Assemble());
        Assert.Equal(new Chain([.. adamW.Stages]), PipelineParts.Of(adamW).Assemble());
        Assert.Equal(new Chain([.. adamW.Stages, average]), PipelineParts.Of(adamW) with { Average = average } is var parts ? parts.Assemble() : null);
    }
}
