using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

/// <remarks>
/// In <see cref="TorchSharpPeerCollection"/>: the trusted peers <c>nn.ELU</c>, <c>nn.Softplus</c> and <c>nn.LeakyReLU</c>
/// make a temporary Scalar inside their forward (FT0003), so these tests run alone.
/// </remarks>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
[Collection(TorchSharpPeerCollection.Name)]
public sealed class ActivationsTests
{
    static readonly Scalar Three = 3L.ToScalar();
    static readonly Scalar Four = 4L.ToScalar();
    static readonly Scalar SqrtTwo = Math.Sqrt(2).ToScalar();
    static readonly Scalar LeakySlope = 0.01.ToScalar();

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
        Activation.Relu => torch.where(x.gt(Scalars.Zero), x, torch.zeros_like(x)),
        Activation.Gelu => x.mul(Scalars.Half).mul(x.div(SqrtTwo).erf().add(Scalars.One, Scalars.One)),
        Activation.Tanh => x.mul(Scalars.Two).exp().sub(Scalars.One).div(x.mul(Scalars.Two).exp().add(Scalars.One, Scalars.One)),
        Activation.Sigmoid => (-x).exp().add(Scalars.One, Scalars.One).reciprocal(),
        Activation.Silu => x.div((-x).exp().add(Scalars.One, Scalars.One)),
        Activation.Softplus => x.exp().add(Scalars.One, Scalars.One).log(),
        Activation.Elu => torch.where(x.gt(Scalars.Zero), x, x.exp().sub(Scalars.One)),
        Activation.LeakyRelu => torch.where(x.gt(Scalars.Zero), x, x.mul(LeakySlope)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>A dimension in [-rank, rank) of <paramref name="x"/>.</summary>
    static int Dimension(torch.Tensor x, int choice) => (int)(((choice % (2 * x.dim())) + 2 * x.dim()) % (2 * x.dim()) - x.dim());

    [Property(MaxTest = 300)]
    public void Each_activation_agrees_with_its_nn_module_and_its_formula(Activation activation, Leading leading, Dim features, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normal(Rng(seed), leading.With(features)).mul(Three);
        using var module = Module(activation);

        var y = Activations.Apply(activation, x);
        AssertClose(module.forward(x), y); // the peer: nn.ELU, nn.Softplus, nn.LeakyReLU forward make temporary Scalars
        AssertClose(Formula(activation, x.to(torch.float64)).to(torch.float32), y, atol: 1e-5);
    }

    [Property(MaxTest = 200)]
    public void LeakyRelu_agrees_with_nn_LeakyReLU_for_any_slope(Leading leading, Dim features, int slopeChoice, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var slope = slopeChoice % 100 / 50.0;
        var x = Normal(Rng(seed), leading.With(features));
        using var module = torch.nn.LeakyReLU(slope);
#pragma warning disable FT0003 // the torch.nn.LeakyReLU peer: its forward makes its slope a temporary Scalar
        AssertClose(module.forward(x), Activations.LeakyRelu(x, slope));
#pragma warning restore FT0003
    }

    [Property(MaxTest = 200)]
    public void Softmax_and_LogSoftmax_agree_with_nn_and_normalise_along_the_dimension(Leading leading, Dim features, int dimensionChoice, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normal(Rng(seed), leading.With(features)).mul(Four);
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
        var x = Normal(generator, leading.With(features)).mul(Scalars.Two);
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
