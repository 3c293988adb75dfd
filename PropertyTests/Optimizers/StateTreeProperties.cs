using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>
/// Every optimizer state is a Core tree: moments mirror the parameters (named by their paths), counters are 0-d int64 CPU
/// leaves, checkpoints restore by path and refuse any other leaf naming it, and the learning rate is read from the state.
/// </summary>
public sealed class StateTreeProperties
{
    static IReadOnlyList<TreeLeaf> Counters(object state) =>
        Tree.Flatten(state).Where(leaf => leaf.Path.Split('/')[^1] is "count" or "microStep" or "skipped" or "consecutive").ToArray();

    [Property(MaxTest = 200)]
    public void Moments_mirror_the_parameters_and_counters_are_0_d_int64_cpu_leaves(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, seed % 2 == 0 ? torch.float32 : torch.float64);
        var pipeline = StateCodecProperties.Pipeline(seed);
        var state = Optimizer.Init(pipeline, start);
        foreach (var gradient in OptimizerTesting.RandomGradients(start, seed, 2)) state = Optimizer.Step(pipeline, gradient, state, start).State;
        var parameters = Tree.Flatten(start);
        var shapeOf = parameters.ToDictionary(p => p.Path, p => p.Value.shape);

        var items = Tree.Items(state);
        var moments = items.Where(item => item.Value is ParameterTensors).ToArray();
        Assert.NotEmpty(moments);
        foreach (var item in moments)
        {
            var tensors = (ParameterTensors)item.Value;
            // The paths are the parameters' (all of them, or a masked / partitioned subset), in tree order.
            var order = tensors.Paths.Select(path => parameters.Select(p => p.Path).ToList().IndexOf(path)).ToArray();
            Assert.All(order, index => Assert.True(index >= 0));
            Assert.Equal(order.Order(), order);
            for (var i = 0; i < tensors.Count; i++)
            {
                Assert.Equal(shapeOf[tensors.Paths[i]], tensors[i].shape);
                Assert.Equal(TreePath.Join(item.Path, tensors.Paths[i]), Tree.PathOf(state, tensors[i]));
            }
        }
        var counters = Counters(state);
        Assert.NotEmpty(counters);
        Assert.All(counters, c => Assert.True(c.Value.dtype == torch.int64 && c.Value.Dimensions == 0 && c.Value.device_type == DeviceType.CPU, c.Path));
        // Nothing else walks states: the tree's leaves are every tensor of the state.
        Assert.Equal(Tree.Leaves(state), OptimizerStates.Tensors(state), ReferenceEqualityComparer.Instance);
    }

    [Property(MaxTest = 200)]
    public void Restoring_takes_leaves_by_path_and_refuses_a_missing_extra_or_other_leaf_naming_it(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var pipeline = StateCodecProperties.Pipeline(seed);
        var state = Optimizer.Step(pipeline, OptimizerTesting.RandomGradients(start, seed, 1)[0], Optimizer.Init(pipeline, start), start).State;
        var stored = StateCodecProperties.Stored(state);

        var shuffled = stored.OrderBy(_ => random.Next()).ToArray();
        Assert.True(OptimizerStates.Equal(state, OptimizerStates.Restore(Optimizer.Init(pipeline, start), shuffled)), "restoring shuffled leaves");

        var victim = stored[random.Next(stored.Length)];
        var doctored = stored.ToList();
        var index = doctored.IndexOf(victim);
        var expectedPath = victim.Path;
        switch (random.Next(4))
        {
            case 0:
                doctored.RemoveAt(index);
                break;
            case 1:
                expectedPath = victim.Path + "-extra";
                doctored.Insert(random.Next(doctored.Count + 1), new TreeLeaf(expectedPath, victim.Value.clone()));
                break;
            case 2:
                doctored[index] = victim with { Value = victim.Value.to(victim.Value.dtype == torch.float64 ? torch.float32 : torch.float64) };
                break;
            default:
                doctored[index] = victim with { Value = victim.Value.unsqueeze(0) };
                break;
        }
        var error = Assert.Throws<TreeMismatchException>(() => OptimizerStates.Restore(Optimizer.Init(pipeline, start), doctored));
        Assert.Equal(expectedPath, error.Path);
        Assert.Contains($"'{expectedPath}'", error.Message);
    }

    [Property(MaxTest = 200)]
    public void An_injected_learning_rate_drives_the_next_update_and_is_what_the_state_reports(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var schedule = new WarmupCosine(0.1, WarmupSteps: 2, DecaySteps: 6, End: 0.01);
        var adam = Optimizer.Adam(schedule, ScaleByAdam.Default);
        var start = OptimizerTesting.RandomNet(seed, seed % 2 == 0 ? torch.float32 : torch.float64);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 4);
        var steps = random.Next(0, 3);
        var state = Optimizer.Init(adam, start);
        for (var i = 0; i < steps; i++) state = Optimizer.Update(adam, gradients[i], state, start).State;
        var injectedRate = random.NextDouble();

        var injected = Tree.MapWithPath(state, (path, t) =>
            path.EndsWith(Hyperparameters.LearningRate, StringComparison.Ordinal) ? torch.tensor(injectedRate, torch.float64) : t.alias());
        Assert.Equal(injectedRate, Optimizer.LearningRate(injected));
        var next = Optimizer.Update(adam, gradients[3], injected, start);

        // The same moments scaled by -injectedRate by hand: the next update used the injected rate, bitwise.
        var byHand = new Chain(ScaleByAdam.Default, new Scale(-injectedRate));
        var moments = ((ChainState)state).States[0];
        var expected = Optimizer.Update(byHand, gradients[3], new ChainState([moments, EmptyState.Instance]), start);
        OptimizerTesting.AssertBitwise(expected.Updates, next.Updates, $"rate {injectedRate} after {steps} steps:");
        // After it, the schedule gives the rate again.
        Assert.Equal(schedule.Value(steps + 1), Optimizer.LearningRate(next.State));
    }

    [Fact]
    public void A_plateau_scale_multiplies_the_rate_it_wraps_but_not_a_rate_beside_it()
    {
        using var scope = torch.NewDisposeScope();
        var net = new Net(torch.ones(2, 3), torch.ones(3), []);
        var plateau = new ReduceOnPlateau(Optimizer.Sgd(0.4), "loss", true, 0.5, 1, 0, 0, 0, 1, 0);
        var state = Optimizer.Init(plateau, net);
        state = plateau.Observe(plateau.Observe(state, 1.0), 2.0);
        Assert.Equal(0.4 * 0.5, Optimizer.LearningRate(state));

        var beside = new Partition([new PartitionRule("bias", plateau)], Optimizer.Sgd(0.3));
        var partitionState = Optimizer.Init(beside, net);
        Assert.Equal(0.3, Optimizer.LearningRate(partitionState));
    }
}
