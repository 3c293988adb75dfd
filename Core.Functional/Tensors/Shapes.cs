using TorchSharp;

namespace Functional.Core;

/// <summary>How shapes, dtypes and devices are written in error messages.</summary>
public static class Shapes
{
    /// <summary>A shape as <c>[2, 3, 4]</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>A tensor as <c>Float32[2, 3] on cpu</c>.</summary>
    public static string Describe(torch.Tensor tensor) => $"{tensor.dtype}{Format(tensor.shape)} on {tensor.device}";
}
