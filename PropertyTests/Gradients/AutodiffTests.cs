using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Gradients;

public sealed class AutodiffTests
{
    public sealed record Weights(torch.Tensor W);

    [Fact]
    public void A_loss_that_is_not_a_single_number_is_refused_with_its_shape()
    {
        var weights = new Weights(torch.ones(3));

        var error = Assert.Throws<ArgumentException>(() => Autodiff.ValueAndGrad(p => p.W.mul(Scalars.Two), weights));

        Assert.Contains("[3]", error.Message);
        Assert.Contains("single number", error.Message);
    }

    [Fact]
    public void Gradients_are_computed_inside_no_grad()
    {
        var weights = new Weights(torch.tensor(new[] { 1.0, 2.0 }));
        using var noGrad = torch.no_grad();

        var result = Autodiff.ValueAndGrad(p => (p.W * p.W).sum(), weights);

        Assert.Equal(new[] { 2.0, 4.0 }, result.Gradient.W.data<double>().ToArray());
    }

    [Fact]
    public void A_constant_loss_has_zero_gradient()
    {
        var weights = new Weights(torch.ones(2));

        var result = Autodiff.ValueAndGrad(_ => torch.tensor(5.0f), weights);

        Assert.Equal(5.0f, result.Value.item<float>());
        Assert.Equal(new[] { 0.0f, 0.0f }, result.Gradient.W.data<float>().ToArray());
    }

    [Fact]
    public void GradCheck_refuses_a_loss_that_does_not_compute_in_float64()
    {
        var weights = new Weights(torch.ones(2));
        var input = torch.ones(2, dtype: torch.float32);

        var error = Assert.Throws<ArgumentException>(() => GradCheck.Run(p => (p.W.to(torch.float32) * input).sum(), weights, GradCheckOptions.Default));

        Assert.Contains("float64", error.Message);
    }

    [Fact]
    public void GradCheck_samples_large_leaves()
    {
        var weights = new Weights(torch.randn(1000));

        var report = GradCheck.Run(p => (p.W * p.W).sum(), weights, GradCheckOptions.Default with { MaxElementsPerLeaf = 10 });

        Assert.True(report.Passed, report.ToString());
        Assert.Equal(10, report.CheckedElements);
    }
}
