using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>What <see cref="BatchNorm.Apply(BatchNormParams, BatchNormStats, Tensor, bool)"/> returns.</summary>
/// <param name="Output">The normalised input, of its shape.</param>
/// <param name="Stats">The statistics after this batch (fresh tensors; equal to the given ones in evaluation).</param>
public sealed record BatchNormOutput(Tensor Output, BatchNormStats Stats);

/// <summary>What <see cref="BatchNorm.Apply(BatchNormParams, BatchNormStats, MaskedSequence, bool)"/> returns.</summary>
/// <param name="Output">The normalised sequence with the input's mask; padded positions are zeros.</param>
/// <param name="Stats">The statistics after this batch (fresh tensors; equal to the given ones in evaluation).</param>
public sealed record MaskedBatchNormOutput(MaskedSequence Output, BatchNormStats Stats);
