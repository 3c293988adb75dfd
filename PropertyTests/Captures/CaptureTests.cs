using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Captures;

public sealed class CaptureTests
{
    public sealed record TwoLayers(LinearParams First, LinearParams Second);

    /// <summary>A model that offers its hidden activations and their norm.</summary>
    static torch.Tensor Loss(TwoLayers model, torch.Tensor x, Capture capture, Action? whenNormComputed = null)
    {
        var hidden = Activations.Tanh(Linear.Apply(model.First, x));
        capture.Record("hidden", hidden);
        capture.Record("hidden norm", () =>
        {
            whenNormComputed?.Invoke();
            return hidden.norm();
        });
        return Linear.Apply(model.Second, hidden).pow(Scalars.Two).mean();
    }

    static TwoLayers Model()
    {
        using var generator = new torch.Generator(1);
        return new TwoLayers(Linear.Init(generator, 3, 4, torch.CPU), Linear.Init(generator, 4, 1, torch.CPU));
    }

    [Fact]
    public void A_wanted_value_survives_the_step_scope_as_a_detached_copy()
    {
        var model = Model();
        var x = torch.randn(5, 3);
        using var capture = Capture.Of("hidden");

        Autodiff.ValueAndGrad(m => Loss(m, x, capture), model);

        var hidden = capture["hidden"];
        Assert.False(hidden.IsInvalid);
        Assert.False(hidden.requires_grad);
        Assert.True(Same.Bitwise(Activations.Tanh(Linear.Apply(model.First, x)), hidden));
    }

    [Fact]
    public void Nothing_is_computed_unless_asked()
    {
        var computed = 0;
        var x = torch.randn(5, 3);

        Loss(Model(), x, Capture.None, () => computed++);
        using var onlyHidden = Capture.Of("hidden");
        Loss(Model(), x, onlyHidden, () => computed++);
        Assert.Equal(0, computed);

        using var norm = Capture.Of("hidden norm");
        Loss(Model(), x, norm, () => computed++);
        Assert.Equal(1, computed);
    }

    [Fact]
    public void Asking_for_a_name_never_recorded_lists_the_names_that_were()
    {
        using var capture = Capture.Of("attention");

        Loss(Model(), torch.randn(2, 3), capture);

        var error = Assert.Throws<KeyNotFoundException>(() => capture["attention"]);
        Assert.Contains("'hidden'", error.Message);
        Assert.Contains("'hidden norm'", error.Message);
        Assert.Contains("Capture.Of(\"hidden\")", Assert.Throws<KeyNotFoundException>(() => capture["hidden"]).Message);
    }

    [Fact]
    public void Recording_one_name_twice_in_a_pass_is_an_error()
    {
        using var capture = Capture.Of("hidden");
        capture.Record("hidden", torch.ones(1));

        Assert.Throws<ArgumentException>(() => capture.Record("hidden", torch.ones(1)));
    }

    [Fact]
    public void Dispose_releases_the_kept_values()
    {
        var capture = Capture.Of("hidden");
        Loss(Model(), torch.randn(2, 3), capture);
        var hidden = capture["hidden"];

        capture.Dispose();

        Assert.True(hidden.IsInvalid);
    }
}
