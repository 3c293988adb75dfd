using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>How rotary embeddings pair the features of a head.</summary>
public enum RotaryLayout
{
    /// <summary>Feature i pairs with feature i + d/2 (GPT-NeoX, LLaMA as Hugging Face stores it): two contiguous halves.</summary>
    HalfSplit,
    /// <summary>Features 2i and 2i+1 pair (RoFormer, Su et al. 2021, and the original LLaMA code).</summary>
    Interleaved,
}

/// <summary>Rotary position embeddings: configuration of an attention layer, not a leaf.</summary>
/// <param name="Base">The wavelength base θ (10000 in the paper): pair i turns by position·θ^(−2i/d).</param>
/// <param name="Layout">Which features pair; <see cref="RotaryLayout.HalfSplit"/> by default.</param>
public sealed record RotarySettings(double Base, RotaryLayout Layout)
{
    /// <summary>Base 10000, half-split pairs (contiguous halves: two slices instead of a strided view, and the layout of Hugging Face checkpoints).</summary>
    public static RotarySettings Default { get; } = new(10000, RotaryLayout.HalfSplit);
}

/// <summary>
/// Rotary position embeddings (RoPE, Su et al. 2021) as a pure function of queries or keys and their absolute
/// positions: each pair of features is turned by an angle proportional to the position, so the score of a query at
/// position m and a key at position n depends only on m − n.
/// </summary>
public static class Rotary
{
    /// <summary>
    /// <paramref name="x"/> [batch, heads, length, d] (d even) with every pair of features turned by position·θ^(−2i/d),
    /// positions from <paramref name="positions"/> [batch, length] (integer). The angles are computed in float64 and the
    /// rotation in x's dtype. Because each token's rotation depends only on its own absolute position, a cached decoding
    /// step at offset t gives the keys and queries of the full pass.
    /// </summary>
    /// <exception cref="ArgumentException">x is not of rank 4 with an even last dimension, or the positions are not integer [batch, length] of x.</exception>
    public static Tensor Apply(Tensor x, Tensor positions, RotarySettings settings)
    {
        if (x.dim() != 4 || x.shape[3] % 2 != 0 || !x.is_floating_point())
            throw new ArgumentException($"Rotary.Apply needs floating-point heads [batch, heads, length, d] with an even d, got {Shapes.Describe(x)}.", nameof(x));
        if (positions.dim() != 2 || positions.is_floating_point() || positions.dtype == ScalarType.Bool
            || positions.shape[0] != x.shape[0] || positions.shape[1] != x.shape[2])
            throw new ArgumentException($"Rotary.Apply needs integer positions [{x.shape[0]}, {x.shape[2]}] for heads {Shapes.Describe(x)}, got {Shapes.Describe(positions)}.", nameof(positions));
        using var scope = NewDisposeScope();
        var half = x.shape[3] / 2;
        var (cos, sin) = Angles(positions, half, settings.Base, x.dtype);                 // [batch, 1, length, half]
        Tensor result;
        if (settings.Layout == RotaryLayout.HalfSplit)
        {
            var first = x.narrow(3, 0, half);
            var second = x.narrow(3, half, half);
            result = cat([first.mul(cos).sub(second.mul(sin)), second.mul(cos).add(first.mul(sin), Scalars.One)], 3);
        }
        else
        {
            var pairs = x.reshape(x.shape[0], x.shape[1], x.shape[2], half, 2);
            var even = pairs.select(4, 0);
            var odd = pairs.select(4, 1);
            result = stack([even.mul(cos).sub(odd.mul(sin)), odd.mul(cos).add(even.mul(sin), Scalars.One)], 4).reshape(x.shape);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>cos and sin of position·θ^(−2i/half·…) as [batch, 1, length, half] in <paramref name="dtype"/>.</summary>
    static (Tensor Cos, Tensor Sin) Angles(Tensor positions, long half, double thetaBase, ScalarType dtype)
    {
        var frequencies = new double[half];
        for (var i = 0; i < half; i++) frequencies[i] = Math.Pow(thetaBase, -(double)i / half);
        var inverse = tensor(frequencies, dtype: float64, device: positions.device);
        var angles = positions.to(float64).unsqueeze(-1).mul(inverse).unsqueeze(1);
        return (angles.cos().to(dtype), angles.sin().to(dtype));
    }
}
