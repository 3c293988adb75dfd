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
    /// The problems of <see cref="PathRuleReport.Validate"/> for the rules' distinct patterns: each pattern that
    /// matches none of <paramref name="paths"/> (an unknown path), then each pair of different patterns that match a
    /// parameter together, with the paths they share; a pattern given to several rules counts once
    /// (<see cref="SamePatterns"/> reports that) and is named by all of them.
    /// </summary>
    public static Seq<ConfigurationError> AgainstPaths(ImmutableList<RuleSetting> rules, IReadOnlyList<string> paths)
    {
        var patterns = rules.Where(rule => !string.IsNullOrWhiteSpace(rule.Pattern))
            .GroupBy(rule => rule.Pattern)
            .Select(group => (Pattern: group.Key, Rules: string.Join(" and ", group.Select(rule => rule.ToString()).Distinct())))
            .ToArray();
        return PathRuleReport.Validate(patterns.Select(p => p.Pattern).ToArray(), paths)
            .Select(problem => problem.Paths.Count == 0
                ? new ConfigurationError(patterns[problem.Rules[0]].Rules, patterns[problem.Rules[0]].Pattern, problem.Text)
                : new ConfigurationError(string.Join(" and ", problem.Rules.Select(r => patterns[r].Rules)), problem.Paths, problem.Text))
            .ToSeq();
    }
}
