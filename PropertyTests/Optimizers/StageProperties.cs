using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>Laws of the stages and of Chain (over the random chains of <see cref="StageChains"/>); purity; clipping bounds.</summary>
public sealed class StageProperties
{
    [Property(MaxTest = 150, Arbitrary = new[] { typeof(StageChains) })]
    public void Chain_equals_applying_the_stages_by_hand(ChainCase spec)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = OptimizerTesting.RandomNet(spec.Seed, torch.float64);
        var gradients = OptimizerTesting.RandomGradients(parameters, spec.Seed, 3);
        var stages = spec.BuildStages();
        var chain = new Chain(stages);

        var chainState = Optimizer.Init(chain, parameters);
        var states = stages.Select(stage => Optimizer.Init(stage, parameters)).ToArray();
        foreach (var gradient in gradients)
        {
            var chained = Optimizer.Update(chain, gradient, chainState, parameters);
            var byHand = gradient;
            for (var i = 0; i < stages.Length; i++)
            {
                var result = Optimizer.Update(stages[i], byHand, states[i], parameters);
                (byHand, states[i]) = (result.Updates, result.State);
            }
            OptimizerTesting.AssertBitwise(byHand, chained.Updates);
            chainState = chained.State;
            parameters = Optimizer.ApplyUpdates(parameters, chained.Updates);
        }
    }

    [Property(MaxTest = 100, Arbitrary = new[] { typeof(StageChains) })]
    public void Steps_never_change_their_inputs(ChainCase spec)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = OptimizerTesting.RandomNet(spec.Seed, torch.float32);
        var gradient = OptimizerTesting.RandomGradients(parameters, spec.Seed, 1)[0];
        var chain = new Chain(spec.BuildStages());
        var state = Optimizer.Init(chain, parameters);
        state = Optimizer.Step(chain, gradient, state, parameters).State;
        var before = (Tree.Map(parameters, t => t.clone()), Tree.Map(gradient, t => t.clone()), Tree.Map(state, t => t.clone()));

        Optimizer.Step(chain, gradient, state, parameters);

        OptimizerTesting.AssertBitwise(before.Item1, parameters, "parameters");
        OptimizerTesting.AssertBitwise(before.Item2, gradient, "gradient");
        OptimizerTesting.AssertBitwise(before.Item3, state, "state");
    }

    [Property(MaxTest = 200)]
    public void Global_norm_clipping_bounds_the_norm_and_leaves_small_gradients_untouched(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = OptimizerTesting.RandomNet(seed, torch.float32);
        var gradient = OptimizerTesting.RandomGradients(parameters, seed, 1, scale: random.NextDouble() * 4)[0];
        var maxNorm = 0.05 + random.NextDouble() * 3;
        var norm = Leafwise(gradient);

        var clipped = Optimizer.Update(new ClipByGlobalNorm(maxNorm), gradient, EmptyState.Instance, parameters).Updates;

        if (norm <= maxNorm) OptimizerTesting.AssertBitwise(gradient, clipped);
        else
        {
            Assert.True(Leafwise(clipped) <= maxNorm * (1 + 1e-6), $"norm {Leafwise(clipped)} above {maxNorm}");
            Assert.True(Leafwise(clipped) >= maxNorm * (1 - 1e-6), $"norm {Leafwise(clipped)} well below {maxNorm}: clipped too much");
        }
    }

    static double Leafwise(Net tree) => Math.Sqrt(Tree.Leaves(tree).Sum(t => t.to(torch.float64).pow(Scalars.Two).sum().item<double>()));

    [Property(MaxTest = 100)]
    public void Per_tensor_clipping_bounds_each_norm_and_value_clipping_each_element(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = OptimizerTesting.RandomNet(seed, torch.float64);
        var gradient = OptimizerTesting.RandomGradients(parameters, seed, 1, scale: 3)[0];
        var bound = 0.05 + random.NextDouble() * 2;

        var byNorm = Optimizer.Update(new ClipByNorm(bound), gradient, EmptyState.Instance, parameters).Updates;
        var byValue = Optimizer.Update(new ClipByValue(bound), gradient, EmptyState.Instance, parameters).Updates;

        foreach (var (original, clipped) in Tree.Leaves(gradient).Zip(Tree.Leaves(byNorm)))
        {
            var before = original.norm().item<double>();
            if (before <= bound) Assert.True(Same.Bitwise(original, clipped));
            else Assert.Equal(bound, clipped.norm().item<double>(), 1e-9);
        }
        Assert.All(Tree.Leaves(byValue), leaf => Assert.True(leaf.abs().max().item<double>() <= bound));
    }

    [Fact]
    public void Bad_hyper_parameters_are_refused_naming_the_value()
    {
        void Refused(Action make, string name, string value)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(make);
            Assert.Equal(name, error.ParamName);
            Assert.Contains(value, error.Message);
        }

        Refused(() => Optimizer.Sgd(-0.1), "Rate", "-0.1");
        Refused(() => _ = new ScaleByAdam(1.0, 0.999, 1e-8), "B1", "1");
        Refused(() => _ = ScaleByAdam.Default with { B2 = -0.5 }, "B2", "-0.5");
        Refused(() => Optimizer.Momentum(0.1, 1.5), "Decay", "1.5");
        Refused(() => _ = new ClipByGlobalNorm(0), "MaxNorm", "0");
        Refused(() => _ = new AddDecayedWeights(-1e-4), "WeightDecay", "-0.0001");
        Refused(() => _ = new Scale(double.NaN), "Factor", "NaN");
    }

    [Fact]
    public void Gradients_of_another_tree_are_a_tree_mismatch()
    {
        using var scope = torch.NewDisposeScope();
        var parameters = new Net(torch.zeros(2, 3), torch.zeros(3), []);
        var wrongShape = new Net(torch.zeros(3, 2), torch.zeros(3), []);
        var moreLeaves = new Net(torch.zeros(2, 3), torch.zeros(3), [torch.zeros(1)]);
        var adam = Optimizer.Adam(1e-3);
        var state = Optimizer.Init(adam, parameters);

        Assert.Equal("weight", Assert.Throws<TreeMismatchException>(() => Optimizer.Update(adam, wrongShape, state, parameters)).Path);
        Assert.Equal("extras/0", Assert.Throws<TreeMismatchException>(() => Optimizer.Update(adam, moreLeaves, state, parameters)).Path);
        var otherState = Optimizer.Init(adam, moreLeaves);
        Assert.Throws<TreeMismatchException>(() => Optimizer.Update(adam, parameters, otherState, parameters));
    }
}
