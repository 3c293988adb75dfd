using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>Helpers for stages that work leaf by leaf.</summary>
internal static class Leafwise
{
    /// <summary>The same paths with new tensors.</summary>
    public static TreeLeaf[] WithValues(IReadOnlyList<TreeLeaf> leaves, IReadOnlyList<torch.Tensor> values)
    {
        var result = new TreeLeaf[leaves.Count];
        for (var i = 0; i < result.Length; i++) result[i] = new TreeLeaf(leaves[i].Path, values[i]);
        return result;
    }

    /// <summary>Each leaf mapped by <paramref name="function"/> of its index and leaf.</summary>
    public static TreeLeaf[] Map(IReadOnlyList<TreeLeaf> leaves, Func<int, TreeLeaf, torch.Tensor> function)
    {
        var result = new TreeLeaf[leaves.Count];
        for (var i = 0; i < result.Length; i++) result[i] = new TreeLeaf(leaves[i].Path, function(i, leaves[i]));
        return result;
    }

    /// <summary>Fresh aliases of the leaves (same storage, new handles), so callers may dispose the originals.</summary>
    public static TreeLeaf[] Aliases(IReadOnlyList<TreeLeaf> leaves) => Map(leaves, (_, leaf) => leaf.Value.alias());

    /// <summary>Fresh aliases of a state's tensors.</summary>
    public static torch.Tensor[] Aliases(IReadOnlyList<torch.Tensor> tensors) => tensors.Select(t => t.alias()).ToArray();

    /// <summary>A zero tensor like every leaf.</summary>
    public static torch.Tensor[] ZerosLike(IReadOnlyList<TreeLeaf> leaves) => leaves.Select(leaf => torch.zeros_like(leaf.Value)).ToArray();

    /// <summary>Zero updates like every leaf.</summary>
    public static TreeLeaf[] Zeros(IReadOnlyList<TreeLeaf> leaves) => Map(leaves, (_, leaf) => torch.zeros_like(leaf.Value));

    /// <summary>The Euclidean norm of all leaves together, accumulated in float64.</summary>
    public static double GlobalNorm(IReadOnlyList<TreeLeaf> leaves)
    {
        using var scope = torch.NewDisposeScope();
        var total = 0.0;
        foreach (var leaf in leaves) total += SquaredNorm(leaf.Value);
        return Math.Sqrt(total);
    }

    /// <summary>The squared Euclidean norm of one tensor, accumulated in float64: <see cref="GlobalNorm"/> sums these in leaf order from 0.</summary>
    public static double SquaredNorm(torch.Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        var wide = tensor.to(torch.float64);
        return wide.mul(wide).sum().item<double>();
    }

    /// <summary>The Euclidean norm of one tensor, accumulated in float64.</summary>
    public static double Norm(torch.Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        var wide = tensor.to(torch.float64);
        return Math.Sqrt(wide.mul(wide).sum().item<double>());
    }

    /// <summary>Whether every element of every leaf is finite.</summary>
    public static bool AllFinite(IReadOnlyList<TreeLeaf> leaves)
    {
        using var scope = torch.NewDisposeScope();
        return leaves.All(leaf => !leaf.Value.is_floating_point() || torch.isfinite(leaf.Value).all().item<bool>());
    }
}
