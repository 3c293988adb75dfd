using FsCheck.Xunit;
using Functional.Core;
using Functional.Models;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Optimizers.OptimizerTesting;

namespace Functional.PropertyTests.Gan;

/// <summary>The single-loss and alternating steps: what they compute, what they leave alone, and how they relate.</summary>
public sealed class GanStepProperties
{
    static GanState State(GanCase gan, GanOptimizer optimizer) => new(gan.Parameters, optimizer.Init(gan.Parameters), gan.Spectral, 0);

    static GanOptimizer Optimizer(int seed) => GanOptimizer.Adam(GanOptions.Default with
    {
        GeneratorLearningRate = 1e-3 * (1 + Math.Abs(seed % 3)), DiscriminatorLearningRate = 2e-3 / (1 + Math.Abs(seed % 2)),
    });

    [Property(MaxTest = 40)]
    public void The_single_step_is_the_single_loss_gradient_through_the_joint_pipeline_and_leaves_its_inputs_alone(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(seed);
        var optimizer = Optimizer(seed);
        var state = State(gan, optimizer);
        var before = Tree.Map(state, t => t.clone());
        var realBefore = gan.Real.clone();

        using var generator = new torch.Generator((ulong)(uint)seed);
        var result = SingleLossStep.Step(optimizer.Joint, gan.Lambda, state, gan.Real, generator);

        using var sameDraws = new torch.Generator((ulong)(uint)seed);
        var spectral = gan.Spectral is null ? null : Discriminator.AdvanceSpectral(gan.Parameters.Discriminator, gan.Spectral);
        var noise = Generator.Noise(gan.Parameters.Generator, (int)gan.Real.shape[0], sameDraws);
        var gradient = Autodiff.ValueAndGrad(p => SingleLoss.Loss(p, spectral, gan.Real, noise, gan.Lambda), gan.Parameters).Gradient;
        var byHand = Functional.Optimizers.Optimizer.Step(optimizer.Joint, gradient, state.OptimizerState, gan.Parameters);

        AssertBitwise(byHand.Parameters, result.State.Parameters);
        Assert.True(OptimizerStates.Equal(byHand.State, result.State.OptimizerState));
        if (spectral is not null) AssertBitwise(spectral, result.State.Spectral!);
        Assert.Equal(1, result.State.Step);
        AssertBitwise(before, state);
        Assert.True(Same.Bitwise(realBefore, gan.Real));
    }

    [Property(MaxTest = 40)]
    public void Both_steps_give_the_discriminator_the_same_update_from_the_same_draws(int seed)
    {
        // The single loss's discriminator gradient is the discriminator loss's, and both steps run the same branch
        // pipeline on the same state: the discriminators agree up to float32 rounding of that gradient.
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(seed);
        var optimizer = Optimizer(seed);
        var state = State(gan, optimizer);

        using var first = new torch.Generator((ulong)(uint)seed);
        using var second = new torch.Generator((ulong)(uint)seed);
        var single = SingleLossStep.Step(optimizer.Joint, gan.Lambda, state, gan.Real, first);
        var alternating = AlternatingStep.Step(optimizer, gan.Lambda, state, gan.Real, second);

        // Adam's first update is ±learning rate per element unless the gradient is ~0, so compare the updates with a
        // tolerance of the learning rate times float32 rounding, except where a gradient is at rounding level.
        var expected = Tree.Flatten(alternating.State.Parameters.Discriminator);
        var actual = Tree.Flatten(single.State.Parameters.Discriminator);
        using var third = new torch.Generator((ulong)(uint)seed);
        var noise = Generator.Noise(gan.Parameters.Generator, (int)gan.Real.shape[0], third);
        var spectral = gan.Spectral is null ? null : Discriminator.AdvanceSpectral(gan.Parameters.Discriminator, gan.Spectral);
        var gradient = Tree.Flatten(Autodiff.ValueAndGrad(p => SingleLoss.DiscriminatorLoss(p, spectral, gan.Real, noise), gan.Parameters).Gradient.Discriminator);
        var scale = gradient.Max(g => g.Value.abs().max().item<float>());
        for (var i = 0; i < expected.Count; i++)
        {
            var clear = gradient[i].Value.abs().gt(1e-3 * scale + 1e-30);
            var difference = (expected[i].Value - actual[i].Value).abs().masked_select(clear);
            var error = difference.numel() == 0 ? 0 : difference.max().item<float>();
            Assert.True(error <= 1e-6, $"discriminator '{expected[i].Path}' differs by {error:G3}");
        }
        Assert.Equal(alternating.State.OptimizerState.GetType(), single.State.OptimizerState.GetType());
    }

    [Fact]
    public void The_alternating_step_refuses_a_state_that_is_not_the_joint_one()
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(3);
        var optimizer = Optimizer(3);
        var state = new GanState(gan.Parameters, Functional.Optimizers.Optimizer.Init(Functional.Optimizers.Optimizer.Adam(1e-3), gan.Parameters), gan.Spectral, 0);
        using var generator = new torch.Generator(1);

        var error = Assert.Throws<ArgumentException>(() => AlternatingStep.Step(optimizer, 1, state, gan.Real, generator));

        Assert.Contains(nameof(PartitionState), error.Message);
    }

    [Fact]
    public void Noise_of_the_wrong_width_is_refused_naming_the_layer()
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(5);

        var error = Assert.ThrowsAny<Exception>(() => Generator.Apply(gan.Parameters.Generator, torch.zeros(2, gan.Parameters.Generator.NoiseSize + 1)));

        Assert.IsType<LayerInputException>(error);
        Assert.Contains("Linear", error.Message);
    }
}
