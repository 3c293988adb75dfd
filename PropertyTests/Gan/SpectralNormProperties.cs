using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using Functional.Core;
using Functional.Models.Gan;

namespace Functional.PropertyTests.Gan;

/// <summary>Spectral normalisation by power iteration.</summary>
public sealed class SpectralNormProperties
{
    [Property(MaxTest = 100)]
    public void The_estimate_never_exceeds_the_largest_singular_value_and_reaches_it(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        using var generator = new torch.Generator((ulong)(uint)seed);
        var weight = torch.randn([random.Next(1, 7), random.Next(1, 7)], dtype: torch.float64, generator: generator);
        var largest = torch.linalg.svdvals(weight)[0].item<double>();

        var u = SpectralNorm.InitVector(generator, weight, iterations: 1);
        var early = SpectralNorm.Sigma(weight, u).item<double>();
        for (var i = 0; i < 300; i++) u = SpectralNorm.Iterate(weight, u);
        var late = SpectralNorm.Sigma(weight, u).item<double>();

        Assert.True(early <= largest * (1 + 1e-12), $"estimate {early} above σ₁ {largest}");
        Assert.True(Math.Abs(late - largest) <= 1e-6 * largest, $"after 300 iterations {late}, σ₁ {largest}");
        var normalised = torch.linalg.svdvals(SpectralNorm.Normalize(weight, u))[0].item<double>();
        Assert.True(Math.Abs(normalised - 1) <= 1e-6, $"normalised weight has spectral norm {normalised}");
        Assert.Equal(1.0, u.norm().item<double>(), 12);
    }

    [Fact]
    public void The_gradient_flows_into_the_weight_only_and_the_vector_is_untouched()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(3);
        var weight = torch.randn([3, 4], generator: generator);
        var u = SpectralNorm.InitVector(generator, weight, 5);
        var before = u.clone();

        var gradient = Functional.Core.Autodiff.ValueAndGrad(w => SpectralNorm.Normalize(w, u).sum(), weight).Gradient;

        Assert.True(gradient.abs().sum().item<float>() > 0);
        Assert.False(u.requires_grad);
        Assert.True(Same.Bitwise(before, u));
    }

    [Fact]
    public void A_vector_of_the_wrong_length_is_refused_with_both_shapes()
    {
        using var scope = torch.NewDisposeScope();

        var error = Assert.Throws<ArgumentException>(() => SpectralNorm.Normalize(torch.ones(3, 4), torch.ones(4)));

        Assert.Contains("[3, 4]", error.Message);
        Assert.Contains("[4]", error.Message);
    }
}
