using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// An optimizer state as named leaves (<see cref="StateLeaves.Flatten"/>): its tensors themselves, and its numeric
/// scalars (step counters, decays, flags) as new 0-d tensors that this value owns.
/// </summary>
/// <param name="Leaves">Every leaf in the state's order, named by its path (<c>0/mu/encoder/weight</c>, <c>0/count</c>).</param>
/// <param name="Scalars">The 0-d tensors made for the scalars (also in <paramref name="Leaves"/>); <see cref="Dispose"/> frees them.</param>
public sealed record FlatState(IReadOnlyList<TreeLeaf> Leaves, IReadOnlyList<torch.Tensor> Scalars) : IDisposable
{
    /// <summary>Frees the scalar tensors (never the state's own tensors).</summary>
    public void Dispose()
    {
        foreach (var scalar in Scalars) scalar.Dispose();
    }
}
