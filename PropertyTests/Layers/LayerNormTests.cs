using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class LayerNormTests
{
    static readonly double[] Epsilons = [1e-5, 1e-3, 0.1];

    /// <summary>A LayerNorm with random weight and bias (so a swapped or ignored parameter shows) and one of three epsilons.</summary>
    static LayerNormParams Random(torch.Generator generator, int features, int epsilonChoice) =>
        LayerNorm.Init(features, Cpu) with
        {
            Weight = Normal(generator, features),
            Bias = Normal(generator, features),
            Epsilon = Epsilons[Math.Abs(epsilonChoice % Epsilons.Length)],
        };

    [Property(MaxTest = 200)]
    public void Agrees_with_nn_LayerNorm_given_the_same_parameters(Dim features, Leading leading, int epsilonChoice, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Random(generator, features, epsilonChoice);
        using var three = 3.ToScalar();
        var x = Normal(generator, leading.With(features)).mul(three).add(Scalars.One, Scalars.One);
        using var module = torch.nn.LayerNorm(features, eps: parameters.Epsilon);
        CopyInto(module.weight, parameters.Weight);
        CopyInto(module.bias, parameters.Bias);

        AssertClose(module.forward(x), LayerNorm.Apply(parameters, x), atol: 1e-5);
    }

    [Property(MaxTest = 100)]
    public void Init_is_ones_zeros_and_epsilon_1e_5_and_normalises_each_row(Dim features, Batch batch, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = LayerNorm.Init(features + 1, Cpu);
        Assert.True(Same.Bitwise(torch.ones(features + 1), parameters.Weight));
        Assert.True(Same.Bitwise(torch.zeros(features + 1), parameters.Bias));
        Assert.Equal(1e-5, parameters.Epsilon);
        Assert.Equal(["weight", "bias"], Tree.Paths(parameters));

        using var five = 5.ToScalar();
        var x = Normal(Rng(seed), batch, features + 1).mul(five).sub(Scalars.Two);
        var y = LayerNorm.Apply(parameters, x).to(torch.float64);
        AssertClose(torch.zeros(batch, dtype: torch.float64), y.mean([1]), atol: 1e-5);
        var variance = y.var(1, unbiased: false);
        var expected = x.to(torch.float64).var(1, unbiased: false);
        using var epsilon = 1e-5.ToScalar();
        AssertClose(expected.div(expected.add(epsilon, Scalars.One)), variance, rtol: 1e-4, atol: 1e-5);
    }

    [Property(MaxTest = 100)]
    public void Gradient_passes_GradCheck(Dim features, Leading leading, int epsilonChoice, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Random(generator, features, epsilonChoice);
        var x = Normal64(generator, leading.With(features));
        var weights = Normal64(generator, leading.With(features));

        AssertGradCheckPasses(p => (LayerNorm.Apply(p, x) * weights).sum(), parameters);
    }

    [Property(MaxTest = 200)]
    public void Apply_and_ValueAndGrad_leave_input_and_parameters_unchanged(Dim features, Leading leading, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Random(generator, features, 0);
        var x = Normal(generator, leading.With(features));
        var (parametersBefore, xBefore) = (Snapshot(parameters), x.clone());

        LayerNorm.Apply(parameters, x);
        AssertUnchanged(parameters, parametersBefore);
        var result = Autodiff.ValueAndGrad(p => LayerNorm.Apply(p, x).pow(Scalars.Two).sum(), parameters);
        AssertUnchanged(parameters, parametersBefore);
        Assert.True(Same.Bitwise(xBefore, x));
        Assert.Equal(parameters.Epsilon, result.Gradient.Epsilon);
        Tree.CheckSameStructure(parameters, result.Gradient);
    }

    [Property(MaxTest = 100)]
    public void Wrong_width_rank_dtype_or_device_is_a_LayerInputException(Dim features, Dim extra, Batch batch)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = LayerNorm.Init(features, Cpu);

        var width = Assert.Throws<LayerInputException>(() => LayerNorm.Apply(parameters, torch.zeros(batch, features + extra)));
        Assert.Equal("LayerNorm", width.Layer);
        Assert.Contains($"[..., {features}]", width.Message);
        Assert.Contains($"Float32[{batch}, {features + extra}]", width.Message);
        Assert.Contains("rank 1 or more", Assert.Throws<LayerInputException>(() => LayerNorm.Apply(parameters, torch.tensor(1f))).Message);
        foreach (var dtype in new[] { torch.int64, torch.float64 })
            Assert.Contains($"{dtype}[{batch}, {features}]",
                Assert.Throws<LayerInputException>(() => LayerNorm.Apply(parameters, torch.zeros(batch, features, dtype: dtype))).Message);
        Assert.Contains("on meta", Assert.Throws<LayerInputException>(() => LayerNorm.Apply(parameters, torch.zeros(batch, features, device: Meta))).Message);
    }
}
