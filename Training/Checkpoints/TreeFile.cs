using Functional.Core;
using TorchSharp;

namespace Functional.Training;

/// <summary>Parameter trees as named tensors (their tree paths as names) and back, for checkpoints.</summary>
public static class TreeFile
{
    /// <summary>The leaves of <paramref name="tree"/> named by their paths.</summary>
    public static IReadOnlyList<NamedTensor> Tensors<T>(T tree) => Tree.Flatten(tree).Select(leaf => new NamedTensor(leaf.Path, leaf.Value)).ToArray();

    /// <summary>
    /// A tree of the structure of <paramref name="template"/> whose leaves are the tensors of
    /// <paramref name="stored"/> with the same names; every leaf must be there with the template's shape and dtype.
    /// </summary>
    /// <exception cref="InvalidDataException">A path is missing or extra, or a shape or dtype differs; the message names it.</exception>
    public static T Restore<T>(T template, IReadOnlyList<NamedTensor> stored)
    {
        var byName = stored.ToDictionary(t => t.Name, t => t.Value, StringComparer.Ordinal);
        var leaves = Tree.Flatten(template);
        var extra = stored.Select(t => t.Name).Except(leaves.Select(l => l.Path), StringComparer.Ordinal).ToArray();
        var restored = leaves.Select(leaf =>
        {
            if (!byName.TryGetValue(leaf.Path, out var value))
                throw new InvalidDataException($"The checkpoint has no '{leaf.Path}' ({Shapes.Describe(leaf.Value)} in the model); it has: {string.Join(", ", byName.Keys.Order())}.{LegacyHint(byName.Keys)}");
            if (!value.shape.SequenceEqual(leaf.Value.shape) || value.dtype != leaf.Value.dtype)
                throw new InvalidDataException($"'{leaf.Path}' is {value.dtype}{Shapes.Format(value.shape)} in the checkpoint but {leaf.Value.dtype}{Shapes.Format(leaf.Value.shape)} in the model.");
            return value.to(leaf.Value.device);
        }).ToArray();
        if (extra.Length > 0)
            throw new InvalidDataException($"The checkpoint has tensors the model does not: {string.Join(", ", extra)}.");
        return Tree.Unflatten(template, restored);
    }

    /// <summary>What to say when the stored names are recurrent weights' names from before the PyTorch names.</summary>
    static string LegacyHint(IEnumerable<string> names) =>
        names.Any(RecurrentPaths.IsLegacy)
            ? " It was written before recurrent weights were named as PyTorch's state dict (layers/0/forward/inputWeight is now weight_ih_l0): " +
              "a model file (titles) still loads, but a training checkpoint of that age cannot be resumed; start the run in a fresh --out folder."
            : "";
}
