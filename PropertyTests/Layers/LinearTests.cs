using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class LinearTests
{
    static LinearParams Make(torch.Generator generator, int inputs, int outputs, bool withBias) =>
        withBias ? Linear.Init(generator, inputs, outputs, Cpu) : Linear.InitWithoutBias(generator, inputs, outputs, Cpu);

    [Property(MaxTest = 200)]
    public void Agrees_with_nn_Linear_given_the_same_weights(Dim inputs, Dim outputs, Leading leading, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Make(generator, inputs, outputs, withBias);
        var x = Normal(generator, leading.With(inputs));
        using var module = torch.nn.Linear(inputs, outputs, hasBias: withBias);
        CopyInto(module.weight, parameters.Weight);
        if (withBias) CopyInto(module.bias, parameters.Bias!);

        AssertClose(module.forward(x), Linear.Apply(parameters, x));
    }

    [Property(MaxTest = 200)]
    public void Init_follows_PyTorch_shapes_and_bound_and_is_reproducible(Dim inputs, Dim outputs, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Linear.Init(Rng(seed), inputs, outputs, Cpu);
        var again = Linear.Init(Rng(seed), inputs, outputs, Cpu);
        var withoutBias = Linear.InitWithoutBias(Rng(seed), inputs, outputs, Cpu);
        var bound = 1 / Math.Sqrt(inputs);

        Assert.Equal(new long[] { outputs, inputs }, parameters.Weight.shape);
        Assert.Equal(new long[] { outputs }, parameters.Bias!.shape);
        foreach (var leaf in Tree.Leaves(parameters))
        {
            Assert.Equal(torch.float32, leaf.dtype);
            Assert.False(leaf.requires_grad);
            Assert.True(leaf.abs().max().item<float>() <= (float)bound * (1 + 1e-6)); // float32 rounding of the bound
        }
        Assert.True(Same.Bitwise(parameters.Weight, again.Weight) && Same.Bitwise(parameters.Bias, again.Bias!));
        Assert.Null(withoutBias.Bias);
        Assert.True(Same.Bitwise(parameters.Weight, withoutBias.Weight));
        Assert.Equal(["weight"], Tree.Paths(withoutBias));
    }

    [Fact]
    public void Init_weights_are_uniform_with_PyTorch_variance()
    {
        using var scope = torch.NewDisposeScope();
        var weight = Linear.Init(Rng(7), 64, 256, Cpu).Weight.to(torch.float64);
        var bound = 1 / Math.Sqrt(64);
        Assert.InRange(weight.mean().item<double>(), -0.01 * bound, 0.01 * bound);
        Assert.InRange(weight.var().item<double>() / (bound * bound / 3), 0.95, 1.05);
    }

    [Property(MaxTest = 100)]
    public void Gradient_passes_GradCheck(Dim inputs, Dim outputs, Leading leading, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Make(generator, inputs, outputs, withBias);
        var x = Normal64(generator, leading.With(inputs));
        var weights = Normal64(generator, leading.With(outputs));

        AssertGradCheckPasses(p => (Linear.Apply(p, x) * weights).sum(), parameters);
    }

    [Property(MaxTest = 200)]
    public void Apply_and_ValueAndGrad_leave_input_and_parameters_unchanged(Dim inputs, Dim outputs, Leading leading, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Make(generator, inputs, outputs, withBias);
        var x = Normal(generator, leading.With(inputs));
        var (parametersBefore, xBefore) = (Snapshot(parameters), x.clone());

        Linear.Apply(parameters, x);
        AssertUnchanged(parameters, parametersBefore);
        var result = Autodiff.ValueAndGrad(p => Linear.Apply(p, x).pow(Scalars.Two).sum(), parameters);
        AssertUnchanged(parameters, parametersBefore);
        Assert.True(Same.Bitwise(xBefore, x));
        Assert.False(x.requires_grad);
        Tree.CheckSameStructure(parameters, result.Gradient);
    }

    [Property(MaxTest = 100)]
    public void Wrong_width_rank_dtype_or_device_is_a_LayerInputException(Dim inputs, Dim outputs, Dim extra, Batch batch, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Linear.Init(Rng(seed), inputs, outputs, Cpu);
        var wrongWidth = torch.zeros(batch, inputs + extra);

        var width = Assert.Throws<LayerInputException>(() => Linear.Apply(parameters, wrongWidth));
        Assert.Equal("Linear", width.Layer);
        Assert.Same(parameters, width.Parameters);
        Assert.Null(width.Path);
        Assert.Contains($"[..., {inputs}]", width.Message);
        Assert.Contains($"Float32[{batch}, {inputs + extra}]", width.Message);

        Assert.Contains("rank 1 or more", Assert.Throws<LayerInputException>(() => Linear.Apply(parameters, torch.tensor(1f))).Message);
        foreach (var dtype in new[] { torch.int64, torch.float64 })
        {
            var error = Assert.Throws<LayerInputException>(() => Linear.Apply(parameters, torch.zeros(batch, inputs, dtype: dtype)));
            Assert.Contains("dtype Float32", error.Message);
            Assert.Contains($"{dtype}[{batch}, {inputs}]", error.Message);
        }
        var device = Assert.Throws<LayerInputException>(() => Linear.Apply(parameters, torch.zeros(batch, inputs, device: Meta)));
        Assert.Contains("input on cpu", device.Message);
        Assert.Contains("on meta", device.Message);
    }

    [Fact]
    public void Init_refuses_sizes_below_one()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Linear.Init(Rng(0), 0, 3, Cpu));
        Assert.Equal("inputs", error.ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => Linear.InitWithoutBias(Rng(0), 3, -1, Cpu)).ParamName);
    }
}
