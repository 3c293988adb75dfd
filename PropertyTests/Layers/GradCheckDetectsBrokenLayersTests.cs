using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

/// <summary>A test-only layer <c>y = 2·w·x</c> whose backward is wrong on purpose: it reports ∂y/∂w = 3·x.</summary>
public sealed record BrokenScaleParams(torch.Tensor Weight);

/// <summary>A sound layer followed by the broken one.</summary>
public sealed record SoundThenBroken(LinearParams Sound, BrokenScaleParams Broken);

/// <summary>Two sound layers around an operation whose input gradient is wrong.</summary>
public sealed record BeforeAndAfter(LinearParams Before, LinearParams After);

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class GradCheckDetectsBrokenLayersTests
{
    /// <summary>Value 2·w·x; gradient 3·x with respect to w (correct with respect to x).</summary>
    static torch.Tensor BrokenScale(BrokenScaleParams p, torch.Tensor x) =>
        x * p.Weight.detach().mul(Scalars.Two).add((p.Weight - p.Weight.detach()).mul(Three), Scalars.One);

    /// <summary>Value 2·x; gradient 3 with respect to x.</summary>
    static torch.Tensor BrokenDouble(torch.Tensor x) => x.detach().mul(Scalars.Two).add((x - x.detach()).mul(Three), Scalars.One);

    static readonly Scalar Three = 3L.ToScalar();

    [Property(MaxTest = 100)]
    public void A_wrong_parameter_gradient_fails_and_the_worst_element_names_the_broken_leaf(Dim inputs, Dim outputs, Leading leading, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var model = new SoundThenBroken(Linear.Init(generator, inputs, outputs, Cpu), new BrokenScaleParams(Normal(generator, outputs)));
        var x = Normal64(generator, leading.With(inputs));
        var weights = Normal64(generator, leading.With(outputs));

        var report = GradCheck.Run(m => (BrokenScale(m.Broken, Linear.Apply(m.Sound, x)) * weights).sum(), model, GradCheckOptions.Default);
        Assert.False(report.Passed);
        Assert.InRange(report.FailedElements, 1, outputs);
        Assert.Equal("broken/weight", report.Worst!.Path);
        Assert.Contains("'broken/weight'", report.ToString());
        // The control: the same model with a correct backward passes.
        AssertGradCheckPasses(m => (Linear.Apply(m.Sound, x).mul(Scalars.Two) * m.Broken.Weight * weights).sum(), model);
    }

    [Property(MaxTest = 100)]
    public void A_wrong_input_gradient_fails_on_the_layer_before_it(Dim inputs, Dim hidden, Dim outputs, Leading leading, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var model = new BeforeAndAfter(Linear.Init(generator, inputs, hidden, Cpu), Linear.Init(generator, hidden, outputs, Cpu));
        var x = Normal64(generator, leading.With(inputs));
        var weights = Normal64(generator, leading.With(outputs));

        var report = GradCheck.Run(m => (Linear.Apply(m.After, BrokenDouble(Linear.Apply(m.Before, x))) * weights).sum(), model, GradCheckOptions.Default);
        Assert.False(report.Passed);
        Assert.StartsWith("before/", report.Worst!.Path);
        Assert.Equal(1.5, report.Worst.Analytic / report.Worst.Numeric, 3);
    }
}
