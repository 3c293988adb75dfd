using Functional.Core;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// The buckets in which an overlapped data-parallel step reduces gradients: the parameter leaves in reverse tree order
/// (the layers a model applies last usually come last in its record and get their gradients first), cut whenever a bucket
/// reaches the byte bound. Every rank derives the same plan from the same parameters, so the ranks reduce the same
/// buckets in the same order.
/// </summary>
/// <param name="Leaves">Bucket <c>b</c>'s leaf indices (positions in <see cref="Tree.Leaves{T}"/>), in reduction order.</param>
/// <param name="Offsets">Where each leaf's elements start in its bucket's flat buffer, indexed by leaf.</param>
/// <param name="Sizes">The element count of each bucket.</param>
/// <param name="BucketOf">The bucket of each leaf.</param>
public sealed record GradientBuckets(IReadOnlyList<int[]> Leaves, long[] Offsets, long[] Sizes, int[] BucketOf)
{
    /// <summary>The plan for <paramref name="leaves"/> with buckets of up to about <paramref name="bucketBytes"/>.</summary>
    /// <exception cref="ArgumentException">There are no leaves.</exception>
    public static GradientBuckets Plan(IReadOnlyList<torch.Tensor> leaves, long bucketBytes)
    {
        if (leaves.Count == 0) throw new ArgumentException("There are no gradients to reduce.", nameof(leaves));
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, 1);
        var buckets = new List<int[]>();
        var sizes = new List<long>();
        var offsets = new long[leaves.Count];
        var bucketOf = new int[leaves.Count];
        var current = new List<int>();
        long elements = 0, bytes = 0;
        for (var i = leaves.Count - 1; i >= 0; i--)
        {
            offsets[i] = elements;
            bucketOf[i] = buckets.Count;
            current.Add(i);
            elements += leaves[i].numel();
            bytes += leaves[i].numel() * leaves[i].ElementSize;
            if (bytes < bucketBytes && i > 0) continue;
            buckets.Add([.. current]);
            sizes.Add(elements);
            current.Clear();
            elements = bytes = 0;
        }
        return new GradientBuckets(buckets, offsets, [.. sizes], bucketOf);
    }
}
