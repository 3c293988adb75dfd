using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// A sequence and its mask, travelling together: what every sequence layer returns.
/// </summary>
/// <param name="Values">[batch, length, ...]: the sequence; positions where the mask is false hold zeros.</param>
/// <param name="Mask">[batch, length], dtype Bool, <c>true</c> = real token; never null.</param>
public sealed record MaskedSequence(Tensor Values, Tensor Mask);
