using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The running statistics of a <see cref="BatchNorm"/>: model state, not parameters (no gradient reaches them and
/// the optimizer never sees them). The tree paths, meanings and layouts are PyTorch's buffers (<c>running_mean</c>,
/// <c>running_var</c>, <c>num_batches_tracked</c>), so state dicts carry over by name.
/// </summary>
/// <param name="RunningMean">[channels], the running mean (PyTorch's <c>running_mean</c>), of the weight's dtype.</param>
/// <param name="RunningVar">[channels], the running unbiased variance (<c>running_var</c>), of the weight's dtype.</param>
/// <param name="BatchesTracked">A 0-d Int64 tensor, the number of training batches seen (<c>num_batches_tracked</c>).</param>
public sealed record BatchNormStats(
    [property: TreeName("running_mean")] Tensor RunningMean,
    [property: TreeName("running_var")] Tensor RunningVar,
    [property: TreeName("num_batches_tracked")] Tensor BatchesTracked);
