using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>States flatten to named leaves and restore into a fresh init exactly; they compare by value and print readably.</summary>
public sealed class StateCodecProperties
{
    internal static IGradientTransformation Pipeline(int seed)
    {
        var random = new Random(seed);
        IGradientTransformation core = random.Next(4) switch
        {
            0 => Optimizer.Adam(1e-2),
            1 => Optimizer.Nesterov(1e-2, 0.9),
            2 => Optimizer.RmsProp(1e-2, ScaleByRms.Default),
            _ => Optimizer.Lion(new PiecewiseLinear(1e-3, [new Knot(2, 1)]), ScaleByLion.Default, new AddDecayedWeights(0.1, ["bias"])),
        };
        if (random.Next(2) == 0) core = new SkipNonFinite(core, 3);
        if (random.Next(2) == 0) core = new Lookahead(core, 2, 0.5);
        if (random.Next(2) == 0) core = new Partition([new PartitionRule("bias", Optimizer.Adagrad(0.1, ScaleByAdagrad.Default))], core);
        core = new Chain(new ClipByGlobalNorm(1), core, new ParameterEma(0.9, random.Next(2) == 0));
        return random.Next(2) == 0 ? new Accumulate(core, 2) : core;
    }

    /// <summary>The leaves of <paramref name="state"/> as a checkpoint stores them: copies, so nothing is shared with the state.</summary>
    internal static TreeLeaf[] Stored(object state) =>
        OptimizerStates.Flatten(state).Select(t => new TreeLeaf(t.Path, t.Value.clone())).ToArray();

    [Property(MaxTest = 300)]
    public void Restoring_into_a_fresh_init_gives_the_same_state_and_training_continues_bitwise(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, seed % 2 == 0 ? torch.float32 : torch.float64);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 5);
        var pipeline = Pipeline(seed);
        var state = Optimizer.Init(pipeline, start);
        var parameters = start;
        for (var i = 0; i < 3; i++) (parameters, state) = Optimizer.Step(pipeline, gradients[i], state, parameters);

        var stored = Stored(state);
        var restored = OptimizerStates.Restore(Optimizer.Init(pipeline, start), stored);

        Assert.True(OptimizerStates.Equal(state, restored));
        Assert.Equal(OptimizerStates.Describe(state), OptimizerStates.Describe(restored));
        Assert.Equal(OptimizerStates.Tensors(state).Count + 0, OptimizerStates.Tensors(restored).Count);
        var (fromOriginal, fromRestored) = (parameters, parameters);
        var (s1, s2) = (state, restored);
        for (var i = 3; i < 5; i++)
        {
            (fromOriginal, s1) = Optimizer.Step(pipeline, gradients[i], s1, fromOriginal);
            (fromRestored, s2) = Optimizer.Step(pipeline, gradients[i], s2, fromRestored);
            OptimizerTesting.AssertBitwise(fromOriginal, fromRestored, $"step {i}:");
        }
        Assert.True(OptimizerStates.Equal(s1, s2));
    }

    [Property(MaxTest = 100)]
    public void Leaves_are_the_state_tensors_themselves_in_order_with_0_d_int64_counters(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var pipeline = Pipeline(seed);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 1);
        var state = Optimizer.Step(pipeline, gradients[0], Optimizer.Init(pipeline, start), start).State;

        var tensors = OptimizerStates.Tensors(state);
        var flat = OptimizerStates.Flatten(state);

        Assert.Equal(flat.Select(leaf => leaf.Value), tensors, ReferenceEqualityComparer.Instance);
        Assert.NotEmpty(tensors);
        var counters = flat.Where(leaf => leaf.Path.Split('/')[^1] is "count" or "microStep" or "skipped" or "consecutive").ToArray();
        Assert.NotEmpty(counters);
        Assert.All(counters, counter => Assert.True(counter.Value.dtype == torch.int64 && counter.Value.Dimensions == 0 && counter.Value.device_type == DeviceType.CPU, counter.Path));
        Assert.Equal(flat.Count, flat.Select(leaf => leaf.Path).Distinct().Count());
    }

    [Fact]
    public void Moments_are_named_after_their_parameters_and_counters_and_rates_are_leaves()
    {
        using var scope = torch.NewDisposeScope();
        var net = new Net(torch.ones(2, 3), torch.ones(3), []);
        var pipeline = new Chain(Optimizer.Adam(0.1), new ParameterEma(0.9, true));
        var state = Optimizer.Init(pipeline, net);
        var paths = OptimizerStates.Flatten(state).Select(leaf => leaf.Path).ToArray();
        var weight = Tree.Paths(net)[0];
        Assert.Contains($"0/0/mu/{weight}", paths);
        Assert.Contains($"0/0/nu/{weight}", paths);
        Assert.Contains("0/0/count", paths);
        Assert.Contains("0/1/count", paths);
        Assert.Contains("0/1/learningRate", paths);
        Assert.Contains($"1/average/{weight}", paths);
        Assert.Contains("1/count", paths);
        Assert.DoesNotContain("1/decay", paths); // configuration, from the transformation
        Assert.DoesNotContain(paths, path => path.Contains("State", StringComparison.Ordinal) || path.Contains('.', StringComparison.Ordinal));
    }

    [Property(MaxTest = 100)]
    public void Equal_notices_any_changed_element_or_scalar(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var pipeline = Pipeline(seed);
        var state = Optimizer.Step(pipeline, OptimizerTesting.RandomGradients(start, seed, 1)[0], Optimizer.Init(pipeline, start), start).State;
        var stored = Stored(state);

        var victim = random.Next(stored.Length);
        var changed = stored.Select((t, i) => i != victim ? t : t with { Value = ChangeFirstElement(t.Value) }).ToArray();
        Assert.False(OptimizerStates.Equal(state, OptimizerStates.Restore(Optimizer.Init(pipeline, start), changed)),
            $"changing '{stored[victim].Path}' went unnoticed");
    }

    static torch.Tensor ChangeFirstElement(torch.Tensor tensor)
    {
        var copy = tensor.clone();
        if (copy.dtype == torch.ScalarType.Bool) return copy.logical_not();
        var flat = copy.view(-1);
        flat[0] = flat[0].add(Scalars.One, Scalars.One);
        return copy;
    }

    [Fact]
    public void Describe_prints_types_scalars_and_tensor_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var net = new Net(torch.ones(2, 3), torch.ones(3), []);
        var adam = Optimizer.Adam(0.1);
        var state = Optimizer.Step(adam, net, Optimizer.Init(adam, net), net).State;
        var text = OptimizerStates.Describe(state);
        var weight = Tree.Paths(net)[0];
        Assert.Contains("state: ChainState", text);
        Assert.Contains("\n  2 item(s)", text);
        Assert.Contains("\n    0: ScaleByAdamState", text);
        Assert.Contains("\n      count = 1", text);
        Assert.Contains("\n      mu: ParameterTensors", text);
        Assert.Contains($"\n        {weight}: Float32[2, 3], norm 0.244949", text);
        Assert.Contains("\n      learningRate = 0.1", text);
    }
}
