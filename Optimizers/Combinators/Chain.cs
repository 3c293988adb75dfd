using Functional.Core;

namespace Functional.Optimizers;

/// <summary>
/// The stages applied one after the other: each stage's updates are the next stage's gradients; every stage sees
/// the same parameters. <c>Chain(a, b)</c> equals applying <c>a</c> then <c>b</c> by hand, bitwise.
/// </summary>
/// <param name="Stages">The stages in order (none: the identity).</param>
public sealed record Chain(IReadOnlyList<IGradientTransformation> Stages) : IGradientTransformation
{
    /// <summary>A chain of the given stages.</summary>
    public Chain(params IGradientTransformation[] stages) : this((IReadOnlyList<IGradientTransformation>)stages) { }

    /// <summary>The stages in order.</summary>
    public IReadOnlyList<IGradientTransformation> Stages { get; init; } =
        Check.NotNull(Stages, nameof(Stages)).Select((s, i) => Check.NotNull(s, $"Stages[{i}]")).ToArray();

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new ChainState(Stages.Select(stage => stage.Init(parameters)).ToArray());

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var chainState = Check.State<ChainState>(state, nameof(Chain));
        if (chainState.States.Count != Stages.Count)
            throw new ArgumentException($"The chain has {Stages.Count} stages but its state has {chainState.States.Count}.", nameof(state));
        var updates = gradients;
        var states = new object[Stages.Count];
        for (var i = 0; i < Stages.Count; i++)
        {
            var result = Stages[i].Update(updates, chainState.States[i], parameters);
            updates = result.Updates;
            states[i] = result.State;
        }
        return new(Stages.Count == 0 ? Leafwise.Aliases(gradients) : updates, new ChainState(states));
    }

    /// <summary>Chains are equal when their stages are equal, in order.</summary>
    public bool Equals(Chain? other) => other is not null && Stages.SequenceEqual(other.Stages);

    /// <inheritdoc />
    public override int GetHashCode() => Stages.Aggregate(17, (hash, stage) => HashCode.Combine(hash, stage));
}

/// <summary>The state of a <see cref="Chain"/>: one state per stage, in order.</summary>
/// <param name="States">The stages' states; in the tree they add no segment, so stage <c>i</c>'s leaves are named <c>{i}/...</c>.</param>
public sealed record ChainState([property: TreeInline] IReadOnlyList<object> States);
