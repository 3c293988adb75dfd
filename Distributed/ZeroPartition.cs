using Functional.Core;

namespace Functional.Distributed;

/// <summary>
/// Which rank owns the optimizer state of which parameter leaf under ZeRO stage 1 (<see cref="ZeroShards"/>): whole
/// leaves, never slices, so that every per-leaf rule (a per-layer learning rate, a weight-decay mask, a per-tensor clip)
/// sees the same tensor it sees unsharded. The rule is fixed and balanced on sizes: the leaves, largest first (ties in
/// leaf order), each go to the rank holding the fewest bytes so far (ties to the lowest rank). It depends only on the
/// leaves' shapes and dtypes and the rank count, so every run with the same rank count cuts the same way.
/// </summary>
/// <param name="Paths">The parameter paths, in leaf order.</param>
/// <param name="Owners">The owning rank of each leaf, in leaf order.</param>
/// <param name="Ranks">The rank count.</param>
public sealed record ZeroPartition(IReadOnlyList<string> Paths, IReadOnlyList<int> Owners, int Ranks)
{
    /// <summary>The balanced partition of <paramref name="leaves"/> over <paramref name="ranks"/> ranks.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ranks"/> is below 1.</exception>
    public static ZeroPartition Balanced(IReadOnlyList<TreeLeaf> leaves, int ranks)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        var owners = new int[leaves.Count];
        var load = new long[ranks];
        var order = Enumerable.Range(0, leaves.Count).OrderByDescending(i => Bytes(leaves[i])).ThenBy(i => i);
        foreach (var leaf in order)
        {
            var rank = 0;
            for (var r = 1; r < ranks; r++) if (load[r] < load[rank]) rank = r;
            owners[leaf] = rank;
            load[rank] += Bytes(leaves[leaf]);
        }
        return new ZeroPartition(leaves.Select(leaf => leaf.Path).ToArray(), owners, ranks);
    }

    /// <summary>The owner of the leaf at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">No parameter has that path.</exception>
    public int OwnerOf(string path)
    {
        var index = Paths.ToList().IndexOf(path);
        return index >= 0 ? Owners[index]
            : throw new ArgumentException($"The ZeRO partition has no parameter '{path}'; its parameters are [{string.Join(", ", Paths)}].", nameof(path));
    }

    /// <summary>
    /// The leaves as rank <paramref name="rank"/> holds them for its optimizer: its own leaves themselves, every other leaf
    /// an empty placeholder (shape <c>[0]</c>, same dtype and device), so an optimizer initialised or updated on them keeps
    /// state for the owned leaves only. Placeholders are fresh tensors (call inside a dispose scope, or release them).
    /// </summary>
    public TreeLeaf[] Placeholders(IReadOnlyList<TreeLeaf> leaves, int rank)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        if (leaves.Count != Owners.Count)
            throw new ArgumentException($"The ZeRO partition is of {Owners.Count} parameter leaves, got {leaves.Count}.", nameof(leaves));
        return leaves.Select((leaf, i) => new TreeLeaf(leaf.Path, Owners[i] == rank ? leaf.Value : Placeholder(leaf.Value))).ToArray();
    }

    /// <summary>An empty tensor standing for a leaf another rank owns.</summary>
    public static TorchSharp.torch.Tensor Placeholder(TorchSharp.torch.Tensor like) => TorchSharp.torch.empty(0, dtype: like.dtype, device: like.device);

    /// <summary>Whether <paramref name="tensor"/> is a placeholder's shape (<c>[0]</c>).</summary>
    public static bool IsPlaceholder(TorchSharp.torch.Tensor tensor) => tensor.shape is [0];

    static long Bytes(TreeLeaf leaf) => leaf.Value.numel() * leaf.Value.ElementSize;
}
