using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class DropoutTests
{
    [Property(MaxTest = 200)]
    public void Evaluation_returns_an_alias_with_equal_values_and_draws_nothing(Leading leading, Dim features, Rate rate, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normal(Rng(seed), leading.With(features));
        var generator = Rng(seed + 1);
        var stateBefore = generator.get_state();

        var y = Dropout.Apply(x, rate.Value, training: false, generator);
        Assert.NotSame(x, y);
        Assert.True(Same.Bitwise(x, y));
        Assert.True(Same.Bitwise(stateBefore, generator.get_state()));
    }

    [Property(MaxTest = 100)]
    public void Training_zeroes_a_fraction_near_the_rate_and_scales_the_kept_values(Rate rate, int seed)
    {
        using var scope = torch.NewDisposeScope();
        const int count = 20_000; // the zero fraction's standard deviation is at most 0.0036
        var x = Normal(Rng(seed), count);
        var xBefore = x.clone();

        var y = Dropout.Apply(x, rate.Value, training: true, Rng(seed + 1));
        var kept = y.ne(Scalars.Zero);
        var zeroFraction = 1 - kept.to(torch.float64).mean().item<double>();
        Assert.InRange(zeroFraction, rate.Value - 0.02, rate.Value + 0.02);
        using var keptShare = (1 - rate.Value).ToScalar();
        var expected = x.to(torch.float64).div(keptShare).masked_select(kept);
        AssertClose(expected, y.masked_select(kept).to(torch.float64), rtol: 1e-6, atol: 0);
        Assert.True(Same.Bitwise(xBefore, x));
    }

    [Property(MaxTest = 200)]
    public void The_same_seed_gives_the_same_mask_whatever_the_dtype(Leading leading, Dim features, Rate rate, int seed)
    {
        using var scope = torch.NewDisposeScope();
        using var ten = 10.ToScalar();
        var x = Normal(Rng(seed), leading.With(features)).add(ten, Scalars.One); // no zeros, so zeros in y are the mask
        var first = Dropout.Apply(x, rate.Value, training: true, Rng(seed + 1));
        var second = Dropout.Apply(x, rate.Value, training: true, Rng(seed + 1));
        var double64 = Dropout.Apply(x.to(torch.float64), rate.Value, training: true, Rng(seed + 1));

        Assert.True(Same.Bitwise(first, second));
        Assert.True(Same.Bitwise(first.eq(Scalars.Zero), double64.eq(Scalars.Zero)));
    }

    [Property(MaxTest = 200)]
    public void Training_with_rate_zero_equals_the_input(Leading leading, Dim features, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normal(Rng(seed), leading.With(features));
        Assert.True(Same.Bitwise(x, Dropout.Apply(x, 0, training: true, Rng(seed + 1))));
    }

    [Property(MaxTest = 100)]
    public void Gradient_passes_GradCheck(Leading leading, Dim features, Rate rate, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var x = Normal(generator, leading.With(features));
        var weights = Normal64(generator, leading.With(features));

        AssertGradCheckPasses(input =>
        {
            using var fresh = Rng(seed + 1); // the same mask at every evaluation
            return (Dropout.Apply(input, rate.Value, training: true, fresh) * weights).sum();
        }, x);
    }

    public static Arbitrary<double> BadRates() =>
        Arb.From(Gen.OneOf(
            Gen.Elements(1.0, 1.5, -0.001, double.NaN, double.PositiveInfinity, double.NegativeInfinity),
            Gen.Choose(1, 1000).Select(k => -k / 10.0),
            Gen.Choose(0, 1000).Select(k => 1 + k / 10.0)));

    [Property(MaxTest = 100, Arbitrary = new[] { typeof(DropoutTests) })]
    public void Rates_outside_0_to_1_are_refused_naming_the_value(double rate, bool training)
    {
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Apply(torch.ones(3), rate, training, Rng(0)));
        Assert.Equal("rate", error.ParamName);
        Assert.Equal(rate, error.ActualValue);
        Assert.Contains(rate.ToString(System.Globalization.CultureInfo.CurrentCulture), error.Message);
    }

    [Fact]
    public void Dropped_elements_are_exactly_zero_even_when_infinite_or_NaN()
    {
        using var scope = torch.NewDisposeScope();
        var finite = Dropout.Apply(torch.ones(1000), 0.5, training: true, Rng(5));
        using var nan = double.NaN.ToScalar();
        using var infinity = double.PositiveInfinity.ToScalar();
        using var thousand = 1000.ToScalar();
        var special = Dropout.Apply(torch.full(1000, nan).index_fill(0, torch.arange(Scalars.Zero, thousand, Scalars.Two), infinity), 0.5, training: true, Rng(5));
        var dropped = finite.eq(Scalars.Zero);
        Assert.True(dropped.any().item<bool>());
        Assert.True(special.masked_select(dropped).eq(Scalars.Zero).all().item<bool>());
        Assert.False(special.masked_select(dropped.logical_not()).isfinite().any().item<bool>());
    }

    [Fact]
    public void Training_refuses_an_integer_input()
    {
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => Dropout.Apply(torch.ones(3, dtype: torch.int64), 0.5, training: true, Rng(0)));
        Assert.Contains("Int64[3]", error.Message);
    }
}
