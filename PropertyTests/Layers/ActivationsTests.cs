using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class ActivationsTests
{
    /// <summary>TorchSharp's module for each activation, with PyTorch's defaults.</summary>
    static torch.nn.Module<torch.Tensor, torch.Tensor> Module(Activation activation) => activation switch
    {
        Activation.Identity => torch.nn.Identity(),
        Activation.Relu => torch.nn.ReLU(),
        Activation.Gelu => torch.nn.GELU(),
        Activation.Tanh => torch.nn.Tanh(),
        Activation.Sigmoid => torch.nn.Sigmoid(),
        Activation.Silu => torch.nn.SiLU(),
        Activation.Softplus => torch.nn.Softplus(),
        Activation.Elu => torch.nn.ELU(),
        Activation.LeakyRelu => torch.nn.LeakyReLU(0.01),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>Each activation's defining formula, in float64 (inputs are at most ~20 in size, so no overflow).</summary>
    static torch.Tensor Formula(Activation activation, torch.Tensor x) => activation switch
    {
        Activation.Identity => x.clone(),
        Activation.Relu => torch.where(x.gt(0), x, torch.zeros_like(x)),
        Activation.Gelu => 0.5 * x * (1 + (x / Math.Sqrt(2)).erf()),
        Activation.Tanh => ((2 * x).exp() - 1) / ((2 * x).exp() + 1),
        Activation.Sigmoid => 1 / (1 + (-x).exp()),
        Activation.Silu => x / (1 + (-x).exp()),
        Activation.Softplus => (1 + x.exp()).log(),
        Activation.Elu => torch.where(x.gt(0), x, x.exp() - 1),
        Activation.LeakyRelu => torch.where(x.gt(0), x, 0.01 * x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>A dimension in [-rank, rank) of <paramref name="x"/>.</summary>
    static int Dimension(torch.Tensor x, int choice) => (int)(((choice % (2 * x.dim())) + 2 * x.dim()) % (2 * x.dim()) - x.dim());

    [Property(MaxTest = 300)]
    public void Each_activation_agrees_with_its_nn_module_and_its_formula(Activation activation, Leading leading, Dim features, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normal(Rng(seed), leading.With(features)) * 3;
        using var module = Module(activation);

        var y = Activations.Apply(activation, x);
        AssertClose(module.forward(x), y);
        AssertClose(Formula(activation, x.to(torch.float64)).to(torch.float32), y, atol: 1e-5);
    }

    [Property(MaxTest = 200)]
    public void LeakyRelu_agrees_with_nn_LeakyReLU_for_any_slope(Leading leading, Dim features, int slopeChoice, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var slope = slopeChoice % 100 / 50.0;
        var x = Normal(Rng(seed), leading.With(features));
        using var module = torch.nn.LeakyReLU(slope);
        AssertClose(module.forward(x), Activations.LeakyRelu(x, slope));
    }

    [Property(MaxTest = 200)]
    public void Softmax_and_LogSoftmax_agree_with_nn_and_normalise_along_the_dimension(Leading leading, Dim features, int dimensionChoice, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normal(Rng(seed), leading.With(features)) * 4;
        var dimension = Dimension(x, dimensionChoice);
        using var softmaxModule = torch.nn.Softmax(dimension);
        using var logSoftmaxModule = torch.nn.LogSoftmax(dimension);

        var softmax = Activations.Softmax(x, dimension);
        var logSoftmax = Activations.LogSoftmax(x, dimension);
        AssertClose(softmaxModule.forward(x), softmax);
        AssertClose(logSoftmaxModule.forward(x), logSoftmax);
        AssertClose(torch.ones_like(softmax.sum(dimension)), softmax.sum(dimension));
        AssertClose(softmax, logSoftmax.exp());
    }

    [Property(MaxTest = 100)]
    public void Gradients_pass_GradCheck(Activation activation, Leading leading, Dim features, int dimensionChoice, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var x = Normal(generator, leading.With(features)) * 2;
        var weights = Normal64(generator, leading.With(features));
        var dimension = Dimension(x, dimensionChoice);

        if (AwayFromKinks(activation, x)) AssertGradCheckPasses(input => (Activations.Apply(activation, input) * weights).sum(), x);
        AssertGradCheckPasses(input => (Activations.Softmax(input, dimension) * weights).sum(), x);
        AssertGradCheckPasses(input => (Activations.LogSoftmax(input, dimension) * weights).sum(), x);
    }

    [Property(MaxTest = 200)]
    public void Activations_return_fresh_tensors_and_leave_their_input_unchanged(Activation activation, Leading leading, Dim features, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normal(Rng(seed), leading.With(features));
        var before = x.clone();
        foreach (var y in new[] { Activations.Apply(activation, x), Activations.Softmax(x, -1), Activations.LogSoftmax(x, 0) })
        {
            Assert.NotSame(x, y);
            Assert.Equal(x.shape, y.shape);
        }
        Assert.True(Same.Bitwise(before, x));
        var gradient = Autodiff.ValueAndGrad(input => Activations.Apply(activation, input).sum(), x).Gradient;
        Assert.True(Same.Bitwise(before, x));
        Assert.False(x.requires_grad);
        Assert.Equal(x.shape, gradient.shape);
    }

    [Property(MaxTest = 100)]
    public void Integer_inputs_out_of_range_dimensions_and_unknown_activations_are_refused(Activation activation, Leading leading, Dim features, Dim beyond)
    {
        using var scope = torch.NewDisposeScope();
        var integers = torch.ones(leading.With(features), dtype: torch.int64);
        Assert.Contains("Int64", Assert.Throws<ArgumentException>(() => Activations.Apply(activation, integers)).Message);
        Assert.Throws<ArgumentException>(() => Activations.Softmax(integers, 0));

        var x = torch.ones(leading.With(features));
        var rank = (int)x.dim();
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Softmax(x, rank - 1 + beyond)).ParamName);
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => Activations.LogSoftmax(x, -rank - beyond)).ParamName);
        Assert.Equal("activation", Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Apply((Activation)(100 + beyond), x)).ParamName);
    }
}
