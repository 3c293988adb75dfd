using Functional.Core;

namespace Functional.Optimizers;

/// <summary>The transformation that changes nothing: the updates are the gradients (as aliases); the state is <see cref="EmptyState"/>.</summary>
public sealed record Identity : IGradientTransformation
{
    /// <summary>The only value needed.</summary>
    public static Identity Instance { get; } = new();

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters) =>
        new(Leafwise.Aliases(gradients), EmptyState.Instance);
}

/// <summary>The state of a stateless transformation: no tensors, no scalars.</summary>
public sealed record EmptyState
{
    /// <summary>The only value.</summary>
    public static EmptyState Instance { get; } = new();
}
