using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The fixed sine/cosine position encodings of "Attention is all you need", as a pure function of positions.</summary>
public static class SinusoidalPositions
{
    /// <summary>
    /// [batch, length, <paramref name="width"/>] for integer <paramref name="positions"/> [batch, length]: feature 2i is
    /// sin(p / 10000^(2i/width)) and feature 2i+1 is cos of the same angle (computed in float64, returned in
    /// <paramref name="dtype"/>). No parameters and no length limit: any position has an encoding, so a cached step at
    /// offset t gets exactly the encodings of the full pass.
    /// </summary>
    /// <exception cref="ArgumentException">The positions are not an integer [batch, length] tensor, a position is negative, or the width is odd or below 2.</exception>
    public static Tensor Encode(Tensor positions, int width, ScalarType dtype)
    {
        if (positions.dim() != 2 || positions.is_floating_point() || positions.dtype == ScalarType.Bool)
            throw new ArgumentException($"SinusoidalPositions.Encode needs integer positions [batch, length], got {Shapes.Describe(positions)}.", nameof(positions));
        if (width < 2 || width % 2 != 0)
            throw new ArgumentException($"SinusoidalPositions.Encode needs an even width of at least 2, got {width}.", nameof(width));
        if (positions.numel() > 0 && positions.min().item<long>() < 0)
            throw new ArgumentException($"SinusoidalPositions.Encode needs positions of at least 0, got {positions.min().item<long>()}.", nameof(positions));
        using var scope = NewDisposeScope();
        var half = width / 2;
        var frequencies = new double[half];
        for (var i = 0; i < half; i++) frequencies[i] = Math.Pow(10000, -2.0 * i / width);
        var angles = positions.to(float64).unsqueeze(-1).mul(tensor(frequencies, dtype: float64, device: positions.device));
        var encoded = stack([angles.sin(), angles.cos()], -1).reshape(positions.shape[0], positions.shape[1], width);
        return encoded.to(dtype).MoveToOuterDisposeScope();
    }
}
