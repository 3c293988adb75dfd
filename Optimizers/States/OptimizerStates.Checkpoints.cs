using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Checkpoints: an optimizer state as named leaves, and back into the structure of a fresh <c>Init</c> of the same pipeline: the one
/// checkpoint mechanism for optimizer state, over Core's <see cref="Tree"/>. No type names are written, and restoring
/// builds only the records and lists the fresh state itself holds, so the set of types is fixed by the code, never by a file.
/// </summary>
/// <remarks>
/// Names are Core tree paths: record fields camel-cased, list items by index, moments by parameter path
/// (<see cref="ParameterTensors"/>). A chain's stages are named by position, <c>{i}/...</c> (its list is inlined); a
/// <see cref="Partition"/>'s branches <c>default/...</c> and <c>rules/{i}/...</c>; a wrapper's inner state <c>inner/...</c>.
/// <c>Optimizer.Adam(lr)</c> (a chain of <see cref="ScaleByAdam"/> and <see cref="ScaleByLearningRate"/>) flattens to
/// <c>0/count</c>, <c>0/mu/encoder/weight</c>, ..., <c>0/nu/encoder/weight</c>, ..., <c>1/count</c>, <c>1/learningRate</c>.
/// </remarks>
public static partial class OptimizerStates
{
    /// <summary>The leaves of <paramref name="state"/> in tree order with their paths: the state's own tensors, not copies.</summary>
    public static IReadOnlyList<TreeLeaf> Flatten(object state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Tree.Flatten(state);
    }

    /// <summary>
    /// The state with the structure, record types and configuration of <paramref name="fresh"/> (an <c>Init</c> of the
    /// pipeline) whose every leaf is the leaf of <paramref name="saved"/> at the same path (in any order), on the device of
    /// the fresh leaf there (so counters stay on the CPU when the moments are on a GPU). The result holds the saved tensors
    /// themselves, or a copy of one that was on another device; nothing is disposed here (the saved tensors and those of
    /// <paramref name="fresh"/> stay the caller's: release the saved ones the result does not hold).
    /// </summary>
    /// <exception cref="TreeMismatchException">
    /// A leaf is missing, has another dtype or shape, is given twice, or <paramref name="saved"/> has a leaf the fresh state
    /// does not: the message names the first such path and both sides.
    /// </exception>
    public static object Restore(object fresh, IReadOnlyList<TreeLeaf> saved)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentNullException.ThrowIfNull(saved);
        var byPath = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var leaf in saved)
            if (!byPath.TryAdd(leaf.Path, leaf.Value))
                throw new TreeMismatchException(leaf.Path, "one leaf", "two leaves of that name");
        var expected = Tree.Flatten(fresh);
        var taken = new torch.Tensor[expected.Count];
        for (var i = 0; i < expected.Count; i++)
        {
            var (path, want) = (expected[i].Path, expected[i].Value);
            if (!byPath.Remove(path, out var tensor)) throw new TreeMismatchException(path, Describe(want), "no leaf (the checkpoint has none there)");
            if (tensor.dtype != want.dtype || !tensor.shape.SequenceEqual(want.shape)) throw new TreeMismatchException(path, Describe(want), Describe(tensor));
            taken[i] = tensor.device_type == want.device_type && tensor.device_index == want.device_index ? tensor : tensor.to(want.device);
        }
        if (saved.FirstOrDefault(leaf => byPath.ContainsKey(leaf.Path)) is { } extra)
            throw new TreeMismatchException(extra.Path, "no leaf (the pipeline's state has none there)", Describe(extra.Value));
        return Tree.Unflatten(fresh, taken);
    }

    static string Describe(torch.Tensor tensor) => $"{tensor.dtype}{Shapes.Format(tensor.shape)}";
}
