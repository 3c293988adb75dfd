using System.Collections.Immutable;
using Functional.Optimizers;
using LanguageExt;

namespace Functional.Facade;

/// <summary>
/// The per-path rules' errors: every parameter must get at most one rule (<see cref="PathMultipliers"/>), and every
/// rule must match some parameter.
/// </summary>
internal static class RuleChecks
{
    /// <summary>One error per pattern given to more than one rule (a freeze and a scale of the same paths, say).</summary>
    public static Seq<ConfigurationError> SamePatterns(ImmutableList<RuleSetting> rules) =>
        rules.Where(rule => !string.IsNullOrWhiteSpace(rule.Pattern))
            .GroupBy(rule => rule.Pattern)
            .Where(group => group.Count() > 1)
            .Select(group => new ConfigurationError(string.Join(" and ", group), group.Key,
                "the same pattern is given to several rules; a parameter gets one rule"))
            .ToSeq();

    /// <summary>
    /// Each pattern that matches none of <paramref name="paths"/> (an unknown path), then each pair of different
    /// patterns that match a parameter together, with the paths they share; a pattern given to several rules counts
    /// once (<see cref="SamePatterns"/> reports that) and is named by all of them.
    /// </summary>
    public static Seq<ConfigurationError> AgainstPaths(ImmutableList<RuleSetting> rules, IReadOnlyList<string> paths)
    {
        var patterns = rules.Where(rule => !string.IsNullOrWhiteSpace(rule.Pattern))
            .GroupBy(rule => rule.Pattern)
            .Select(group => (Pattern: group.Key, Rules: string.Join(" and ", group.Select(rule => rule.ToString()).Distinct()),
                Matched: paths.Where(path => PathPattern.Matches(group.Key, path)).ToArray()))
            .ToArray();
        var unknown = patterns.Where(p => p.Matched.Length == 0)
            .Select(p => new ConfigurationError(p.Rules, p.Pattern, $"matches no parameter; the paths are: {string.Join(", ", paths)}"));
        var overlaps =
            from i in Enumerable.Range(0, patterns.Length)
            from j in Enumerable.Range(i + 1, patterns.Length - i - 1)
            let shared = patterns[i].Matched.Intersect(patterns[j].Matched).ToArray()
            where shared.Length > 0
            select new ConfigurationError($"{patterns[i].Rules} and {patterns[j].Rules}", shared,
                "both rules match these parameters; a parameter gets one rule (make the patterns disjoint)");
        return unknown.Concat(overlaps).ToSeq();
    }
}
