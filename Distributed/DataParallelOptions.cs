namespace Functional.Distributed;

/// <summary>
/// How a data-parallel step (<see cref="DataParallel"/>) exchanges its gradients. Both ways give every rank the same
/// parameters, and with two ranks the same bits as each other.
/// </summary>
/// <param name="Overlap">
/// Whether gradients are reduced in buckets while backward still runs (<see cref="GradientBuckets"/>): each bucket's
/// reduction starts as soon as autograd has finished every gradient in it (and the buckets before it), moved on as
/// <see cref="Progress"/> says, so only the reductions that backward could not hide delay the step. Off: one all-reduce
/// of every gradient after backward.
/// </param>
/// <param name="BucketBytes">
/// The size a bucket fills up to before the next begins (the last leaf may take it over; a larger leaf is a bucket of its
/// own). Smaller buckets start reducing sooner and cost more calls; PyTorch's DDP uses 25 MB, too coarse for models of a
/// few MB like ours.
/// </param>
public sealed record DataParallelOptions(bool Overlap, long BucketBytes)
{
    /// <summary>
    /// With <see cref="Overlap"/>, how the bucket reductions move on during backward: from backward's own callbacks with
    /// non-blocking collectives (<see cref="OverlapProgress.BackwardCallbacks"/>, the default: no extra thread), from them
    /// and a thread polling every millisecond (<see cref="OverlapProgress.PollingThread"/>), or on a communication thread
    /// in blocking all-reduces (<see cref="OverlapProgress.CommunicationThread"/>). All give the same bits.
    /// </summary>
    public OverlapProgress Progress { get; init; } = OverlapProgress.BackwardCallbacks;

    /// <summary>
    /// No overlap: on the title model with 2 CPU ranks on one machine no progress mode made steps faster (no bucket
    /// completes within backward, since shared-memory reductions move only while both ranks are inside MPI, and a thread
    /// that waits inside MPI takes backward's core; see the data-parallel guide). Buckets of 4 MB when it is on (for
    /// the title model, 512 KB cuts the plan at its layers).
    /// </summary>
    public static DataParallelOptions Default { get; } = new(Overlap: false, BucketBytes: 4L << 20);

    /// <summary>Throws when the bucket size is not positive or the progress is not a defined value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bucket size is zero or negative, or the progress is undefined.</exception>
    public DataParallelOptions Validated()
    {
        if (!Enum.IsDefined(Progress)) throw new ArgumentOutOfRangeException(nameof(Progress), Progress, "DataParallelOptions.Progress must be BackwardCallbacks, PollingThread or CommunicationThread.");
        if (BucketBytes <= 0) throw new ArgumentOutOfRangeException(nameof(BucketBytes), BucketBytes, "DataParallelOptions.BucketBytes must be positive (bytes of gradient per bucket).");
        return this;
    }
}
