using Functional.Core;

namespace Functional.Optimizers;

/// <summary>One branch of a <see cref="Partition"/>: parameters matching <paramref name="Pattern"/> go to <paramref name="Inner"/>.</summary>
/// <param name="Pattern">The path glob (<see cref="PathPattern"/>).</param>
/// <param name="Inner">Their pipeline.</param>
public sealed record PartitionRule(string Pattern, IGradientTransformation Inner);

/// <summary>
/// Sends each parameter to one pipeline by path: to the rule that matches it, or to <c>Default</c>. Every
/// pipeline sees only its own leaves, in tree order. Rules follow <see cref="PathRuleReport.Resolve"/>: one rule per
/// parameter at most, and a rule that matches nothing is an error at <see cref="Init"/>.
/// </summary>
/// <param name="Rules">The branches.</param>
/// <param name="Default">The pipeline of the parameters no rule matches.</param>
public sealed record Partition(IReadOnlyList<PartitionRule> Rules, IGradientTransformation Default) : IGradientTransformation
{
    /// <summary>The branches.</summary>
    public IReadOnlyList<PartitionRule> Rules { get; init; } = Check.NotNull(Rules, nameof(Rules)).ToArray();

    /// <summary>The pipeline of the unmatched parameters.</summary>
    public IGradientTransformation Default { get; init; } = Check.NotNull(Default, nameof(Default));

    /// <summary>Which branch each parameter goes to.</summary>
    public PathRuleReport Report(IReadOnlyList<TreeLeaf> parameters) =>
        PathRuleReport.Resolve(Rules.Select(r => r.Pattern).ToArray(), parameters.Select(p => p.Path).ToArray());

    IGradientTransformation Branch(int index) => index < Rules.Count ? Rules[index].Inner : Default;

    int[][] Groups(IReadOnlyList<TreeLeaf> leaves)
    {
        var report = Report(leaves);
        return Enumerable.Range(0, Rules.Count + 1)
            .Select(b => Enumerable.Range(0, leaves.Count).Where(i => (report.Matches[i].RuleIndex < 0 ? Rules.Count : report.Matches[i].RuleIndex) == b).ToArray())
            .ToArray();
    }

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) =>
        new PartitionState(Groups(parameters).Select((group, b) => Branch(b).Init(group.Select(i => parameters[i]).ToArray())).ToArray());

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var partition = Check.State<PartitionState>(state, nameof(Partition)).States;
        if (partition.Count != Rules.Count + 1)
            throw new ArgumentException($"The partition has {Rules.Count} rules and a default but its state has {partition.Count} branch states.", nameof(state));
        var updates = new TreeLeaf[gradients.Count];
        var states = new object[Rules.Count + 1];
        var groups = Groups(gradients);
        for (var b = 0; b < groups.Length; b++)
        {
            var result = Branch(b).Update(groups[b].Select(i => gradients[i]).ToArray(), partition[b], groups[b].Select(i => parameters[i]).ToArray());
            for (var k = 0; k < groups[b].Length; k++) updates[groups[b][k]] = result.Updates[k];
            states[b] = result.State;
        }
        return new(updates, new PartitionState(states));
    }

    /// <summary>Equal rules in order and equal defaults.</summary>
    public bool Equals(Partition? other) => other is not null && Rules.SequenceEqual(other.Rules) && Default.Equals(other.Default);

    /// <inheritdoc />
    public override int GetHashCode() => Rules.Aggregate(Default.GetHashCode(), HashCode.Combine);
}

/// <summary>
/// The state of <see cref="Partition"/>: the default branch's state first (tree paths <c>default/...</c>), then one per
/// rule (<c>rules/{i}/...</c>), so the default's learning rate is the one <see cref="Optimizer.LearningRate(object)"/> finds.
/// </summary>
/// <param name="Default">The state of the default branch.</param>
/// <param name="Rules">One state per rule, in rule order.</param>
public sealed record PartitionState(object Default, IReadOnlyList<object> Rules)
{
    /// <summary>A state from the branches' states in branch order: one per rule, then the default's (as <see cref="States"/> lists them).</summary>
    /// <exception cref="ArgumentException">No state is given (the default's is missing).</exception>
    public PartitionState(IReadOnlyList<object> states)
        : this(
            states is { Count: > 0 } ? states[^1] : throw new ArgumentException("A partition state needs at least the default branch's state.", nameof(states)),
            states.Take(states.Count - 1).ToArray())
    {
    }

    /// <summary>The branches' states in branch order: one per rule, then the default's.</summary>
    public IReadOnlyList<object> States => [.. Rules, Default];
}
