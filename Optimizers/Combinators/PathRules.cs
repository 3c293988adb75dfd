using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>A per-path rule: parameters whose path matches <paramref name="Pattern"/> (<see cref="PathPattern"/>) get <paramref name="Multiplier"/>.</summary>
/// <param name="Pattern">The path glob.</param>
/// <param name="Multiplier">The learning-rate multiplier, finite and &gt;= 0; 0 freezes.</param>
public sealed record PathRule(string Pattern, double Multiplier)
{
    /// <summary>The path glob.</summary>
    public string Pattern { get; init; } = Check.NotNull(Pattern, nameof(Pattern));

    /// <summary>The multiplier, finite and &gt;= 0.</summary>
    public double Multiplier { get; init => field = Check.NonNegative(value, nameof(Multiplier)); } = Check.NonNegative(Multiplier, nameof(Multiplier));

    /// <summary>A rule that freezes the matching parameters (multiplier 0).</summary>
    public static PathRule Freeze(string pattern) => new(pattern, 0);
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
    /// default (-1). A path matched by two rules, or a rule that matches no path, is an <see cref="ArgumentException"/>.
    /// </summary>
    public static PathRuleReport Resolve(IReadOnlyList<string> patterns, IReadOnlyList<string> paths)
    {
        var used = new bool[patterns.Count];
        var matches = paths.Select(path =>
        {
            var hits = Enumerable.Range(0, patterns.Count).Where(r => PathPattern.Matches(patterns[r], path)).ToArray();
            if (hits.Length > 1)
                throw new ArgumentException($"Parameter '{TreePath.Display(path)}' is matched by several rules: {string.Join(", ", hits.Select(h => $"'{patterns[h]}'"))}; make the rules disjoint.");
            if (hits.Length == 1) used[hits[0]] = true;
            return hits.Length == 1 ? new PathRuleMatch(path, patterns[hits[0]], hits[0]) : new PathRuleMatch(path, "(default)", -1);
        }).ToArray();
        var unused = Enumerable.Range(0, patterns.Count).Where(r => !used[r]).ToArray();
        if (unused.Length > 0)
            throw new ArgumentException($"Rule {string.Join(", ", unused.Select(r => $"'{patterns[r]}'"))} matches no parameter; the paths are: {string.Join(", ", paths)}.");
        return new PathRuleReport(matches);
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
