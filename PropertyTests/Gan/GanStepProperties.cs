using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Optimizers.OptimizerTesting;
using Functional.Models.Gan;
using Functional.Training;

namespace Functional.PropertyTests.Gan;

/// <summary>The single-loss and alternating steps: what they compute, what they leave alone, and how they relate.</summary>
public sealed class GanStepProperties
{
    static TrainState<GanParams, GanState> State(GanCase gan, GanOptimizer optimizer, int seed) => GanTesting.State(gan, optimizer.Joint, (ulong)(uint)seed);

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
        var state = State(gan, optimizer, seed);
        var before = Tree.Map(state.Parameters, t => t.clone());
        var spectralBefore = Tree.Map(state.ModelState, t => t.clone());
        var realBefore = gan.Real.clone();

        var result = GanTesting.SingleStep(optimizer.Joint, gan.Lambda, state, gan.Real);

        using var sameDraws = GanTesting.Draws(state);
        var spectral = gan.Spectral is null ? null : Discriminator.AdvanceSpectral(gan.Parameters.Discriminator, gan.Spectral);
        var noise = GanGenerator.Noise(gan.Parameters.Generator, (int)gan.Real.shape[0], sameDraws);
        var gradient = Autodiff.ValueAndGrad(p => SingleLoss.Loss(p, spectral, gan.Real, noise, gan.Lambda), gan.Parameters).Gradient;
        var byHand = Functional.Optimizers.Optimizer.Step(optimizer.Joint, gradient, state.OptimizerState, gan.Parameters);

        AssertBitwise(byHand.Parameters, result.State.Parameters);
        Assert.True(OptimizerStates.Equal(byHand.State, result.State.OptimizerState));
        if (spectral is not null) AssertBitwise(spectral, result.State.ModelState.Spectral!);
        Assert.Equal(gan.Spectral is null, result.State.ModelState.Spectral is null);
        Assert.Equal(1, result.State.Step);
        AssertBitwise(before, state.Parameters);
        AssertBitwise(Tree.Leaves(spectralBefore), Tree.Leaves(state.ModelState));
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
        var state = State(gan, optimizer, seed);

        var single = GanTesting.SingleStep(optimizer.Joint, gan.Lambda, state, gan.Real);
        var alternating = AlternatingStep.Step(optimizer, gan.Lambda)(state, gan.Real);

        // Adam's first update is ±learning rate per element unless the gradient is ~0, so compare the updates with a
        // tolerance of the learning rate times float32 rounding, except where a gradient is at rounding level.
        var expected = Tree.Flatten(alternating.State.Parameters.Discriminator);
        var actual = Tree.Flatten(single.State.Parameters.Discriminator);
        using var third = GanTesting.Draws(state);
        var noise = GanGenerator.Noise(gan.Parameters.Generator, (int)gan.Real.shape[0], third);
        var spectral = gan.Spectral is null ? null : Discriminator.AdvanceSpectral(gan.Parameters.Discriminator, gan.Spectral);
        var gradient = Tree.Flatten(Autodiff.ValueAndGrad(p => SingleLoss.DiscriminatorLoss(p, spectral, gan.Real, noise), gan.Parameters).Gradient.Discriminator);
        var scale = gradient.Max(g => g.Value.abs().max().item<float>());
        for (var i = 0; i < expected.Count; i++)
        {
            using var threshold = (1e-3 * scale + 1e-30).ToScalar();
            var clear = gradient[i].Value.abs().gt(threshold);
            var difference = (expected[i].Value - actual[i].Value).abs().masked_select(clear);
            var error = difference.numel() == 0 ? 0 : difference.max().item<float>();
            Assert.True(error <= 1e-6, $"discriminator '{expected[i].Path}' differs by {error:G3}");
        }
        Assert.Equal(alternating.State.OptimizerState.GetType(), single.State.OptimizerState.GetType());
    }

    [Property(MaxTest = 30)]
    public void One_adam_with_a_path_multiplier_for_the_discriminator_is_the_partition_into_two_learning_rates(int seed)
    {
        // Two ways to give the networks different step sizes: a partition into two Adam pipelines, or one Adam over the
        // whole tree followed by a per-path multiplier. Adam works leaf by leaf, so the single-loss steps agree.
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(seed);
        var multiplier = 1 + Math.Abs(seed % 4);
        var partitioned = GanOptimizer.Adam(GanOptions.Default with { GeneratorLearningRate = 1e-3, DiscriminatorLearningRate = multiplier * 1e-3 }).Joint;
        var multiplied = new Chain(
            Functional.Optimizers.Optimizer.Adam(new Constant(1e-3), ScaleByAdam.Default with { B1 = GanOptions.Default.B1, B2 = GanOptions.Default.B2 }),
            new PathMultipliers([new PathRule(GanParams.DiscriminatorPaths, multiplier)]));
        var (left, right) = (GanTesting.State(gan, partitioned, (ulong)(uint)seed), GanTesting.State(gan, multiplied, (ulong)(uint)seed));

        for (var step = 0; step < 3; step++)
        {
            left = GanTesting.SingleStep(partitioned, gan.Lambda, left, gan.Real).State;
            right = GanTesting.SingleStep(multiplied, gan.Lambda, right, gan.Real).State;
            AssertClose(left.Parameters, right.Parameters, rtol: 1e-5, atol: 1e-6);
            // Continue both from the same parameters: a rounding-level difference in the parameters would otherwise be
            // amplified by Adam where a gradient is near zero, which says nothing about the two pipelines.
            right = right with { Parameters = left.Parameters };
        }
    }

    [Fact]
    public void Samples_come_from_the_generator_weight_average_when_the_pipeline_keeps_one()
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(11);
        var withAverage = GanOptimizer.Adam(GanOptions.Default with { GeneratorEma = 0.5 });
        var without = GanOptimizer.Adam(GanOptions.Default with { GeneratorEma = 0 });
        var (averaged, plain) = (State(gan, withAverage, 2), State(gan, without, 2));
        for (var step = 0; step < 3; step++)
        {
            averaged = GanTesting.SingleStep(withAverage.Joint, 1, averaged, gan.Real).State;
            plain = GanTesting.SingleStep(without.Joint, 1, plain, gan.Real).State;
        }

        var expected = ParameterEma.Average(((PartitionState)averaged.OptimizerState).States[GanOptimizer.GeneratorBranch], averaged.Parameters.Generator);
        AssertBitwise(expected, GanOptimizer.SamplingGenerator(averaged));
        Assert.False(Same.Bitwise(averaged.Parameters.Generator.Output.Weight, expected.Output.Weight));
        AssertBitwise(plain.Parameters.Generator, GanOptimizer.SamplingGenerator(plain));
    }

    [Fact]
    public void The_alternating_step_refuses_a_state_that_is_not_the_joint_one()
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(3);
        var optimizer = Optimizer(3);
        var state = GanTesting.State(gan, Functional.Optimizers.Optimizer.Adam(1e-3), 1);

        var error = Assert.Throws<ArgumentException>(() => AlternatingStep.Step(optimizer, 1)(state, gan.Real));

        Assert.Contains(nameof(PartitionState), error.Message);
    }

    [Fact]
    public void Noise_of_the_wrong_width_is_refused_naming_the_layer()
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(5);

        var error = Assert.ThrowsAny<Exception>(() => GanGenerator.Apply(gan.Parameters.Generator, torch.zeros(2, gan.Parameters.Generator.NoiseSize + 1)));

        Assert.IsType<LayerInputException>(error);
        Assert.Contains("Linear", error.Message);
    }
}
