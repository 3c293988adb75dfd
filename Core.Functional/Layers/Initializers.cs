using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The random draws layers are initialised with, always from an explicit generator.</summary>
public static class Initializers
{
    /// <summary>
    /// A fresh float32 tensor of <paramref name="shape"/> on <paramref name="device"/> drawn from
    /// U(-<paramref name="bound"/>, <paramref name="bound"/>) with <paramref name="generator"/>; it does not require grad.
    /// </summary>
    public static Tensor Uniform(Generator generator, long[] shape, double bound, Device device)
    {
        using var width = (2 * bound).ToScalar();
        using var lowest = bound.ToScalar();
        return rand(shape, dtype: float32, device: device, generator: generator).mul_(width).sub_(lowest);
    }

    /// <summary>A fresh float32 tensor of <paramref name="shape"/> on <paramref name="device"/> drawn from N(0, 1) with <paramref name="generator"/>.</summary>
    public static Tensor Normal(Generator generator, long[] shape, Device device) =>
        randn(shape, dtype: float32, device: device, generator: generator);

    /// <summary>Returns <paramref name="value"/> when it is at least 1, else throws an <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    public static int Positive(int value, string name) =>
        value >= 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1, got {value}.");
}
