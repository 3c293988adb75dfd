namespace Functional.Distributed;

/// <summary>
/// How a data-parallel step (<see cref="DataParallel"/>) exchanges its gradients. Both ways give every rank the same
/// parameters, and with two ranks the same bits as each other.
/// </summary>
/// <param name="Overlap">
/// Whether gradients are reduced in buckets while backward still runs (<see cref="GradientBuckets"/>): a communication
/// thread all-reduces each bucket as soon as autograd has finished every gradient in it, so only the reductions that
/// backward could not hide delay the step. Off: one all-reduce of every gradient after backward.
/// </param>
/// <param name="BucketBytes">
/// The size a bucket fills up to before the next begins (the last leaf may take it over; a larger leaf is a bucket of its
/// own). Smaller buckets start reducing sooner and cost more calls; PyTorch's DDP uses 25 MB, too coarse for models of a
/// few MB like ours.
/// </param>
public sealed record DataParallelOptions(bool Overlap, long BucketBytes)
{
    /// <summary>
    /// No overlap (measured on the title model with 2 CPU ranks on one machine, overlap made steps slower, not faster;
    /// see the data-parallel guide), buckets of 4 MB when it is on.
    /// </summary>
    public static DataParallelOptions Default { get; } = new(Overlap: false, BucketBytes: 4L << 20);

    /// <summary>Throws when the bucket size is not positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bucket size is zero or negative.</exception>
    public DataParallelOptions Validated()
    {
        if (BucketBytes <= 0) throw new ArgumentOutOfRangeException(nameof(BucketBytes), BucketBytes, "DataParallelOptions.BucketBytes must be positive (bytes of gradient per bucket).");
        return this;
    }
}
