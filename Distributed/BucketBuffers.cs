using Functional.Core;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// The flat buffers of one step's gradient buckets (<see cref="GradientBuckets"/>): each leaf's final gradient is copied
/// into its bucket exactly once, and after the buckets are summed over the ranks each leaf's mean is read back. The
/// overlapped reductions (<see cref="OverlappedReduction"/>, <see cref="NonBlockingReduction"/>) share this and differ
/// only in how the buckets' all-reduces progress.
/// </summary>
/// <remarks>
/// The buffers are owned here, not by the step's dispose scope: a failing step must not free a buffer MPI may still be
/// writing, so only the owner, once no reduction is in flight, calls <see cref="Free"/>.
/// </remarks>
internal sealed class BucketBuffers
{
    readonly IReadOnlyList<torch.Tensor> templates;
    readonly torch.Tensor[] buffers;
    readonly bool[] delivered;

    /// <summary>Plans the buckets for <paramref name="leaves"/> (the parameters) and allocates their buffers.</summary>
    /// <exception cref="ArgumentException">The leaves do not share one float dtype and device (paths named).</exception>
    public BucketBuffers(IReadOnlyList<TreeLeaf> leaves, long bucketBytes)
    {
        templates = leaves.Select(leaf => leaf.Value).ToArray();
        CheckOneFloatType(leaves);
        Plan = GradientBuckets.Plan(templates, bucketBytes);
        var dtype = templates[0].dtype;
        buffers = Plan.Sizes.Select(size => torch.empty(size, dtype: dtype).DetachFromDisposeScope()).ToArray();
        delivered = new bool[templates.Count];
    }

    /// <summary>Which leaves go to which bucket, at which offset.</summary>
    public GradientBuckets Plan { get; }

    /// <summary>The number of buckets.</summary>
    public int Count => buffers.Length;

    /// <summary>Bucket <paramref name="bucket"/>'s flat buffer (summed over the ranks in place by the reduction).</summary>
    public torch.Tensor this[int bucket] => buffers[bucket];

    /// <summary>The leaves' gradients each bucket still waits for, per bucket (a fresh array the caller counts down).</summary>
    public int[] LeavesPerBucket() => Plan.Leaves.Select(bucket => bucket.Length).ToArray();

    /// <summary>Whether leaf <paramref name="leaf"/>'s gradient has been handed over.</summary>
    public bool IsDelivered(int leaf) => delivered[leaf];

    /// <summary>Copies leaf <paramref name="leaf"/>'s final gradient into its bucket; returns the bucket.</summary>
    /// <exception cref="InvalidOperationException">The leaf's gradient was handed over before.</exception>
    public int Copy(int leaf, torch.Tensor gradient)
    {
        if (delivered[leaf]) throw new InvalidOperationException($"Leaf {leaf}'s gradient was handed over twice.");
        delivered[leaf] = true;
        var bucket = Plan.BucketOf[leaf];
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
            buffers[bucket].narrow(0, Plan.Offsets[leaf], templates[leaf].numel()).copy_(gradient.reshape(-1));
        return bucket;
    }

    /// <summary>
    /// <paramref name="leaves"/> (the parameters as the model will see them, in tree order) with every leaf that requires a
    /// gradient passed through <see cref="GradientReady"/>, whose final gradient goes to <paramref name="deliver"/> with
    /// the leaf's index.
    /// </summary>
    public static IReadOnlyList<torch.Tensor> Watch(IReadOnlyList<torch.Tensor> leaves, Action<int, torch.Tensor> deliver) =>
        leaves.Select((leaf, i) => leaf.requires_grad ? GradientReady.Watch(leaf, gradient => deliver(i, gradient)) : leaf).ToArray();

    /// <summary>
    /// Each leaf's mean gradient, from buckets that hold the sums over <paramref name="ranks"/> ranks: fresh tensors of the
    /// caller's dispose scope, shaped and placed as the leaves.
    /// </summary>
    public IReadOnlyList<torch.Tensor> Means(int ranks)
    {
        using var rankCount = ranks.ToScalar();
        var means = new torch.Tensor[templates.Count];
        for (var b = 0; b < buffers.Length; b++)
        {
            var mean = buffers[b].div(rankCount);
            foreach (var i in Plan.Leaves[b])
            {
                var leaf = mean.narrow(0, Plan.Offsets[i], templates[i].numel()).view(templates[i].shape);
                means[i] = leaf.device_type == templates[i].device_type ? leaf : leaf.to(templates[i].device);
            }
        }
        return means;
    }

    /// <summary>Frees the buffers (only when no reduction may still write them).</summary>
    public void Free()
    {
        foreach (var buffer in buffers) buffer.Dispose();
    }

    /// <summary>Throws unless every leaf is float32 or float64 of one dtype on one device (paths named).</summary>
    static void CheckOneFloatType(IReadOnlyList<TreeLeaf> leaves)
    {
        var first = leaves[0];
        var dtype = first.Value.dtype;
        if (dtype != torch.float32 && dtype != torch.float64)
            throw new ArgumentException($"Data-parallel gradients must be float32 or float64, got {dtype} at '{first.Path}'.", nameof(leaves));
        if (leaves.FirstOrDefault(leaf => leaf.Value.dtype != dtype || leaf.Value.device_type != first.Value.device_type) is { } other)
            throw new ArgumentException($"Data-parallel gradients must share one dtype and device: {dtype} on {first.Value.device} at '{first.Path}' and {other.Value.dtype} on {other.Value.device} at '{other.Path}'.", nameof(leaves));
    }
}
