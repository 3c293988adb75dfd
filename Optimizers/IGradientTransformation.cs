using Functional.Core;

namespace Functional.Optimizers;

/// <summary>
/// A gradient transformation: the one extension point of the optimizers. It maps the gradients of a flattened
/// parameter tree (leaves with their paths, in <see cref="Tree.Flatten{T}"/> order) to updates, threading an
/// immutable state through the steps.
/// </summary>
/// <remarks>
/// Contract for implementers (an F# object expression can implement it): both methods are pure — they never
/// mutate or dispose the tensors they are given (gradients, parameters, the tensors of <c>state</c>) and return
/// fresh tensors or aliases (<c>x.alias()</c>) of them. <see cref="Update"/> returns exactly one update per
/// gradient, in the same order, with the same paths and shapes. The state is an immutable value that is a Core
/// tree: tensor fields are its leaves, scalar fields (a step count) are configuration.
/// </remarks>
public interface IGradientTransformation
{
    /// <summary>The initial state for parameters with these leaves.</summary>
    object Init(IReadOnlyList<TreeLeaf> parameters);

    /// <summary>
    /// The updates for <paramref name="gradients"/> and the next state. <paramref name="parameters"/> are the
    /// current parameters (the ones the updates will be added to), with the same paths as the gradients.
    /// </summary>
    TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters);
}

/// <summary>What one <see cref="IGradientTransformation.Update"/> returns.</summary>
/// <param name="Updates">One update per gradient, same order, paths and shapes.</param>
/// <param name="State">The next state; the old one is still valid and unchanged.</param>
public sealed record TransformResult(IReadOnlyList<TreeLeaf> Updates, object State);
