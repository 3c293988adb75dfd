using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// One step's gradient reduction in buckets (<see cref="GradientBuckets"/>), overlapped with its backward: the model sees
/// the parameters through <see cref="Watch"/>, backward hands over each final gradient, and <see cref="Finish"/> returns
/// the mean gradients. Disposing it before <see cref="Finish"/> abandons the reduction.
/// </summary>
internal interface IBucketReduction : IDisposable
{
    /// <summary>The number of buckets.</summary>
    int BucketCount { get; }

    /// <summary>How many buckets' reductions had started, and how many completed, when <see cref="Finish"/> was called (both 0 before).</summary>
    (int Started, int Completed) InBackward { get; }

    /// <summary>
    /// <paramref name="leaves"/> (the parameters as the model will see them, in tree order) with every leaf that requires a
    /// gradient passed through <see cref="GradientReady"/>, reporting to this reduction.
    /// </summary>
    IReadOnlyList<torch.Tensor> Watch(IReadOnlyList<torch.Tensor> leaves);

    /// <summary>
    /// Hands over every gradient backward did not (leaves the loss does not use, which get zeros), completes every
    /// bucket's reduction, and returns the mean gradient of each leaf (fresh tensors of the caller's dispose scope).
    /// </summary>
    /// <exception cref="MpiException">A reduction failed.</exception>
    IReadOnlyList<torch.Tensor> Finish(IReadOnlyList<torch.Tensor> gradients);
}
