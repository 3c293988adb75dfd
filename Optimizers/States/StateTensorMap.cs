using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// An optimizer state with every tensor replaced, the structure and configuration kept: the rebuild a sharded optimizer
/// state needs (tensors of other ranks' parameters swapped for placeholders, and back). A thin use of <see cref="Tree.Unflatten{T}"/>.
/// </summary>
public static class StateTensorMap
{
    /// <summary>
    /// A state like <paramref name="state"/> whose <c>i</c>-th leaf (in the order of <see cref="OptimizerStates.Tensors"/>)
    /// is <c>map(i, tensor)</c>. Nothing is disposed; the result holds what <paramref name="map"/> returns.
    /// </summary>
    public static object Map(object state, Func<int, torch.Tensor, torch.Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(map);
        return Tree.Unflatten(state, Tree.Leaves(state).Select((tensor, i) => map(i, tensor)).ToArray());
    }
}
