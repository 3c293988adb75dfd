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

    /// <summary>
    /// The factors of <see cref="Apply"/>'s mask for a tensor of <paramref name="shape"/>, <paramref name="dtype"/> and
    /// <paramref name="device"/>: <paramref name="keptValue"/> where an element is kept, 0 where it is dropped, from the same
    /// single float32 <c>rand</c> of <paramref name="generator"/> (so the same generator state gives the same mask as
    /// <see cref="Apply"/>, and the generator advances as much).
    /// </summary>
    /// <remarks>
    /// For layers whose dropout input is finite: <c>x.mul(factors)</c> with <paramref name="keptValue"/> 1 / (1 − rate)
    /// equals <see cref="Apply"/> (a dropped negative element gives −0 instead of 0), and is several times cheaper than its
    /// masked fill, forward and backward (the backward is one product). Internal: <see cref="Apply"/> stays the public
    /// contract, exact zeros even where x is infinite or NaN.
    /// </remarks>
    internal static Tensor Factors(long[] shape, double rate, double keptValue, ScalarType dtype, Device device, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var threshold = rate.ToScalar();
        using var kept = keptValue.ToScalar();
        // ge_ in place keeps the draws' dtype: 1 where kept (draw at least the rate, as Apply), 0 where dropped.
        var draws = rand(shape, dtype: float32, device: device, generator: generator).ge_(threshold);
        var factors = dtype == ScalarType.Float32 ? draws : draws.to(dtype);
        return factors.mul_(kept).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Apply"/> while training with a rate above 0 for an <paramref name="x"/> that is finite, by multiplication with
    /// <see cref="Factors"/>: the same mask, the same values (a dropped negative element gives −0), the same gradient.
    /// Otherwise <paramref name="x"/> itself (no draw), as the transformer layers used it. Pure.
    /// </summary>
    internal static Tensor ApplyToFinite(Tensor x, double rate, bool training, Generator generator)
    {
        if (!training || rate == 0) return x;
        if (!(rate > 0 && rate < 1))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"The dropout rate must be in [0, 1), got {rate}.");
        using var factors = Factors(x.shape, rate, 1 / (1 - rate), x.dtype, x.device, generator);
        return x.mul(factors);
    }
}
