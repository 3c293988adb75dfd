using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class FeedForwardTests
{
    [Property(MaxTest = 100)]
    public void Tree_paths_are_exactly_inner_and_outer_weight_and_bias_and_the_activation_survives_a_rebuild(Dim inputs, Dim hidden, Dim outputs, Activation activation, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = FeedForward.Init(Rng(seed), inputs, hidden, outputs, activation, Cpu);

        Assert.Equal(["inner/weight", "inner/bias", "outer/weight", "outer/bias"], Tree.Paths(parameters));
        var rebuilt = Tree.Map(parameters, leaf => leaf.clone());
        Assert.Equal(activation, rebuilt.Activation);
        Assert.Equal(Tree.Paths(parameters), Tree.Paths(rebuilt));
        Assert.All(Tree.Leaves(parameters).Zip(Tree.Leaves(rebuilt)), pair => Assert.True(Same.Bitwise(pair.Item1, pair.Item2)));
    }

    [Property(MaxTest = 200)]
    public void Agrees_with_nn_Linear_then_the_activation_module_then_nn_Linear(Dim inputs, Dim hidden, Dim outputs, Activation activation, Leading leading, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = FeedForward.Init(generator, inputs, hidden, outputs, activation, Cpu);
        var x = Normal(generator, leading.With(inputs));
        using var inner = torch.nn.Linear(inputs, hidden);
        using var outer = torch.nn.Linear(hidden, outputs);
        CopyInto(inner.weight, parameters.Inner.Weight);
        CopyInto(inner.bias, parameters.Inner.Bias!);
        CopyInto(outer.weight, parameters.Outer.Weight);
        CopyInto(outer.bias, parameters.Outer.Bias!);

        var expected = outer.forward(Activations.Apply(activation, inner.forward(x)));
        AssertClose(expected, FeedForward.Apply(parameters, x), atol: 1e-5);
    }

    [Property(MaxTest = 100)]
    public void Gradient_passes_GradCheck(Dim inputs, Dim hidden, Dim outputs, Activation activation, Leading leading, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = FeedForward.Init(generator, inputs, hidden, outputs, activation, Cpu);
        var x = Normal64(generator, leading.With(inputs));
        var weights = Normal64(generator, leading.With(outputs));
        if (!AwayFromKinks(activation, Linear.Apply(Tree.Map(parameters.Inner, w => w.to(torch.float64)), x))) return;

        AssertGradCheckPasses(p => (FeedForward.Apply(p, x) * weights).sum(), parameters);
    }

    [Property(MaxTest = 200)]
    public void Apply_and_ValueAndGrad_leave_input_and_parameters_unchanged(Dim inputs, Dim hidden, Dim outputs, Activation activation, Leading leading, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = FeedForward.Init(generator, inputs, hidden, outputs, activation, Cpu);
        var x = Normal(generator, leading.With(inputs));
        var (parametersBefore, xBefore) = (Snapshot(parameters), x.clone());

        FeedForward.Apply(parameters, x);
        AssertUnchanged(parameters, parametersBefore);
        var result = Autodiff.ValueAndGrad(p => FeedForward.Apply(p, x).pow(Scalars.Two).sum(), parameters);
        AssertUnchanged(parameters, parametersBefore);
        Assert.True(Same.Bitwise(xBefore, x));
        Assert.Equal(activation, result.Gradient.Activation);
        Tree.CheckSameStructure(parameters, result.Gradient);
    }
}
