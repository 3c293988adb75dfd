using TorchSharp;

namespace Functional.PropertyTests;

/// <summary>Exact comparisons of tensors for tests.</summary>
public static class Same
{
    /// <summary>
    /// Same dtype, shape and bytes (so NaN equals NaN). TorchSharp's <c>torch.equal</c> is elementwise, unlike
    /// PyTorch's, so it is not used for this.
    /// </summary>
    public static bool Bitwise(torch.Tensor expected, torch.Tensor actual)
    {
        if (expected.dtype != actual.dtype || !expected.shape.SequenceEqual(actual.shape)) return false;
        using var left = expected.contiguous();
        using var right = actual.contiguous();
        return left.bytes.SequenceEqual(right.bytes);
    }
}
