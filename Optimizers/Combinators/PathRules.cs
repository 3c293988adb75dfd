using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>A per-path rule: parameters whose path matches <paramref name="Pattern"/> (<see cref="PathPattern"/>) get <paramref name="Multiplier"/>.</summary>
/// <param name="Pattern">The path glob.</param>
/// <param name="Multiplier">The learning-rate multiplier, finite and &gt;= 0; 0 freezes.</param>
public sealed record PathRule(string Pattern, double Multiplier)
{
    /// <summary>The path glob, not empty.</summary>
    public string Pattern { get; init => field = Problems.OrThrow(value, ValidatePattern(value)); } = Problems.OrThrow(Pattern, ValidatePattern(Pattern));

    /// <summary>The multiplier, finite and &gt;= 0.</summary>
    public double Multiplier { get; init => field = Check.NonNegative(value, nameof(Multiplier)); } = Check.NonNegative(Multiplier, nameof(Multiplier));

    /// <summary>A rule that freezes the matching parameters (multiplier 0).</summary>
    public static PathRule Freeze(string pattern) => new(pattern, 0);

    /// <summary>The problems of a rule (none when <c>new PathRule(pattern, multiplier)</c> succeeds): the checks its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(string? pattern, double multiplier) =>
        [.. ValidatePattern(pattern), .. Bounds.NonNegative(nameof(Multiplier), multiplier)];

    static IReadOnlyList<Problem> ValidatePattern(string? pattern) =>
        pattern is null ? Bounds.NotNull(nameof(Pattern), pattern)
            : Problems.Unless(!string.IsNullOrWhiteSpace(pattern), nameof(Pattern), pattern, "a path pattern must not be empty");
}

/// <summary>Which rule each parameter got.</summary>
/// <param name="Path">The parameter's path.</param>
/// <param name="Rule">The rule's pattern, or <c>(default)</c>.</param>
/// <param name="RuleIndex">The rule's index, or -1 for the default.</param>
public sealed record PathRuleMatch(string Path, string Rule, int RuleIndex);

/// <summary>The rule report: one line per parameter, in tree order.</summary>
/// <param name="Matches">Per parameter path, the rule it got.</param>
public sealed record PathRuleReport(IReadOnlyList<PathRuleMatch> Matches)
{
    /// <summary>One line per parameter: <c>path -&gt; rule</c>.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Matches.Select(m => $"{TreePath.Display(m.Path)} -> {m.Rule}"));

    /// <summary>
    /// Matches every path against <paramref name="patterns"/>: each path gets the one rule that matches it or the
    /// default (-1). A path matched by two rules, or a rule that matches no path, is an <see cref="ArgumentException"/>
    /// listing every <see cref="Validate"/> problem.
    /// </summary>
    public static PathRuleReport Resolve(IReadOnlyList<string> patterns, IReadOnlyList<string> paths)
    {
        var problems = Validate(patterns, paths);
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems.Select(p => p.Message(patterns))));
        return new PathRuleReport(paths.Select(path =>
        {
            var rule = Enumerable.Range(0, patterns.Count).FirstOrDefault(r => PathPattern.Matches(patterns[r], path), -1);
            return new PathRuleMatch(path, rule < 0 ? "(default)" : patterns[rule], rule);
        }).ToArray());
    }

    /// <summary>
    /// Everything <see cref="Resolve"/> rejects, returned instead of thrown (empty when it would succeed): first each
    /// rule that matches none of <paramref name="paths"/>, in rule order, then each pair of rules that match some
    /// path together, with the paths they share.
    /// </summary>
    public static IReadOnlyList<PathRuleProblem> Validate(IReadOnlyList<string> patterns, IReadOnlyList<string> paths)
    {
        var matched = patterns.Select(pattern => paths.Where(path => PathPattern.Matches(pattern, path)).ToArray()).ToArray();
        var unknown = Enumerable.Range(0, patterns.Count).Where(r => matched[r].Length == 0)
            .Select(r => new PathRuleProblem([r], [], $"matches no parameter; the paths are: {string.Join(", ", paths)}"));
        var overlaps =
            from i in Enumerable.Range(0, patterns.Count)
            from j in Enumerable.Range(i + 1, patterns.Count - i - 1)
            let shared = matched[i].Intersect(matched[j]).ToArray()
            where shared.Length > 0
            select new PathRuleProblem([i, j], shared, "both rules match these parameters; a parameter gets one rule (make the patterns disjoint)");
        return unknown.Concat(overlaps).ToArray();
    }

    /// <summary>Equal lines in order.</summary>
    public bool Equals(PathRuleReport? other) => other is not null && Matches.SequenceEqual(other.Matches);

    /// <inheritdoc />
    public override int GetHashCode() => Matches.Aggregate(0, HashCode.Combine);
}

/// <summary>
/// Per-path learning-rate multipliers and freezing; place it after the learning-rate stage. Every parameter is
/// matched by exactly one rule or the default (multiplier 1); a rule that matches nothing, or two rules matching
/// one parameter, is an error at <see cref="Init"/>. A multiplier of 0 gives zero updates (exact freezing, even for
/// non-finite gradients), 1 passes updates unchanged, any other <c>m</c> gives <c>m * update</c>. Stateless.
/// </summary>
/// <param name="Rules">The rules.</param>
public sealed record PathMultipliers(IReadOnlyList<PathRule> Rules) : IGradientTransformation
{
    /// <summary>The rules.</summary>
    public IReadOnlyList<PathRule> Rules { get; init; } = Check.NotNull(Rules, nameof(Rules)).ToArray();

    /// <summary>Which rule each parameter gets (the errors of <see cref="PathRuleReport.Resolve"/> otherwise).</summary>
    public PathRuleReport Report(IReadOnlyList<TreeLeaf> parameters) =>
        PathRuleReport.Resolve(Rules.Select(r => r.Pattern).ToArray(), parameters.Select(p => p.Path).ToArray());

    /// <summary>Which rule each leaf of <paramref name="parameters"/> gets.</summary>
    public PathRuleReport Report<TParams>(TParams parameters) => Report(Tree.Flatten(parameters));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters)
    {
        Report(parameters);
        return EmptyState.Instance;
    }

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var report = Report(gradients);
        return new(Leafwise.Map(gradients, (i, u) =>
        {
            var multiplier = report.Matches[i].RuleIndex < 0 ? 1 : Rules[report.Matches[i].RuleIndex].Multiplier;
            if (multiplier == 0) return torch.zeros_like(u.Value);
            if (multiplier == 1) return u.Value.alias();
            using var factor = multiplier.ToScalar();
            return u.Value.mul(factor);
        }), EmptyState.Instance);
    }

    /// <summary>Equal rules in order.</summary>
    public bool Equals(PathMultipliers? other) => other is not null && Rules.SequenceEqual(other.Rules);

    /// <inheritdoc />
    public override int GetHashCode() => Rules.Aggregate(0, HashCode.Combine);
}
