using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>Inverted dropout: zeroes elements at random while training and rescales the rest, so the mean is unchanged.</summary>
/// <remarks>Dropout has no parameters; its randomness is an explicit generator, so a run is reproducible.</remarks>
public static class Dropout
{
    /// <summary>
    /// When <paramref name="training"/> is false, <paramref name="x"/> itself as <c>x.alias()</c> (no draw is made). When true,
    /// each element is kept with probability 1 - <paramref name="rate"/> and multiplied by 1 / (1 - rate); the others are
    /// exactly zero (even where x is infinite or NaN), and the gradient flows only through the kept ones.
    /// </summary>
    /// <remarks>
    /// The mask is drawn as one float32 <c>torch.rand</c> of x's shape from <paramref name="generator"/> (element kept when
    /// its draw is at least the rate), so it depends only on the generator's state and x's shape — not on x's dtype or
    /// values, nor on the rate's being 0 — and the same seed gives the same mask. Pure: returns a fresh tensor and
    /// neither mutates nor disposes <paramref name="x"/>; only the generator advances.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is not in [0, 1) (NaN included).</exception>
    /// <exception cref="ArgumentException">Training with an x that is not floating-point, or with a generator on another device than x.</exception>
    public static Tensor Apply(Tensor x, double rate, bool training, Generator generator)
    {
        if (!(rate >= 0 && rate < 1))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"The dropout rate must be in [0, 1), got {rate}.");
        if (!training) return x.alias();
        if (!x.is_floating_point())
            throw new ArgumentException($"Dropout needs a floating-point input, got {Shapes.Describe(x)}.", nameof(x));
        if (generator.device.type != x.device.type)
            throw new ArgumentException($"Dropout's generator is on {generator.device} but the input is {Shapes.Describe(x)}.", nameof(generator));

        using var draws = rand(x.shape, dtype: float32, device: x.device, generator: generator);
        using var threshold = rate.ToScalar();
        using var keptScale = (1 / (1 - rate)).ToScalar();
        using var dropped = draws.lt(threshold);
        using var scaled = x.mul(keptScale);
        return scaled.masked_fill(dropped, Scalars.Zero);
    }
}
