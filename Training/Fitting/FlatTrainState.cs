using Functional.Core;
using TorchSharp;

namespace Functional.Training;

/// <summary>
/// A train state as named leaves (<see cref="TrainStateTree.Flatten{TParams, TModelState}"/>): the state's own tensors,
/// and the 0-d tensors made for the optimizer's numeric scalars (step counters), which this value owns.
/// </summary>
/// <param name="Leaves">
/// Every leaf in order: <c>parameters/...</c>, <c>optimizer/...</c>, <c>model-state/...</c>, then <c>random</c>.
/// </param>
/// <param name="Made">The tensors made for the flatten (also in <paramref name="Leaves"/>); <see cref="Dispose"/> frees them.</param>
public sealed record FlatTrainState(IReadOnlyList<TreeLeaf> Leaves, IReadOnlyList<torch.Tensor> Made) : IDisposable
{
    /// <summary>The leaves that are the state's own tensors (not made for the flatten), in order.</summary>
    public IReadOnlyList<torch.Tensor> Owned()
    {
        var made = Made.ToHashSet(ReferenceEqualityComparer.Instance);
        return Leaves.Select(leaf => leaf.Value).Where(tensor => !made.Contains(tensor)).ToArray();
    }

    /// <summary>Frees the tensors made for the flatten (never the state's own).</summary>
    public void Dispose()
    {
        foreach (var tensor in Made) tensor.Dispose();
    }
}
