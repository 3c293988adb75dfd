using Functional.Core;

namespace Functional.Optimizers;

/// <summary>
/// One thing wrong with per-path rules for a parameter tree (<see cref="PathRuleReport.Validate"/>): a rule that
/// matches no parameter (one rule, no paths), or two rules that match the same parameters (the paths they share).
/// </summary>
/// <param name="Rules">The indices of the rules concerned, in rule order.</param>
/// <param name="Paths">The parameters matched by all of <paramref name="Rules"/>; empty for a rule that matches nothing.</param>
/// <param name="Text">What is wrong and what to do, in words.</param>
public sealed record PathRuleProblem(IReadOnlyList<int> Rules, IReadOnlyList<string> Paths, string Text)
{
    /// <summary>The sentence <see cref="PathRuleReport.Resolve"/> throws for this problem, naming the rules by <paramref name="patterns"/>.</summary>
    public string Message(IReadOnlyList<string> patterns) => Paths.Count == 0
        ? $"Rule '{patterns[Rules[0]]}' {Text}."
        : $"Parameter '{TreePath.Display(Paths[0])}' is matched by several rules: {string.Join(", ", Rules.Select(r => $"'{patterns[r]}'"))}; {Text}: {string.Join(", ", Paths.Select(TreePath.Display))}.";

    /// <summary>Equal rule indices, paths and text.</summary>
    public bool Equals(PathRuleProblem? other) =>
        other is not null && Rules.SequenceEqual(other.Rules) && Paths.SequenceEqual(other.Paths) && Text == other.Text;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rules.Aggregate(0, HashCode.Combine), Paths.Aggregate(0, HashCode.Combine), Text);
}
