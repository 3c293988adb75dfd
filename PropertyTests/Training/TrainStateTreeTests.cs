using FsCheck.Xunit;
using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Training;

/// <summary>
/// <see cref="TrainStateTree"/>, the one walker of a train state: its leaves are named by part, restoring them into a
/// template gives the state back bit for bit, and releasing, sizing, saving and checksumming all see exactly its leaves.
/// </summary>
public sealed class TrainStateTreeTests
{
    /// <summary>A model state of two floating-point leaves and a counter, as batch norm has.</summary>
    sealed record Stats(torch.Tensor Mean, torch.Tensor Scale, torch.Tensor Batches);

    static Stats FreshStats(ulong seed)
    {
        using var generator = new torch.Generator(seed);
        return new Stats(torch.randn([7], generator: generator), torch.rand([2, 3], generator: generator), torch.tensor((long)seed));
    }

    /// <summary>A few pipelines whose states differ in kind: moments, counters, an accumulator, an EMA average.</summary>
    static IGradientTransformation Pipeline(int which) => (which % 4) switch
    {
        0 => Optimizer.Sgd(0.1),
        1 => Optimizer.Adam(1e-2),
        2 => new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.9, BiasCorrection: true)),
        _ => AccumulatedAdamWithEma(),
    };

    /// <summary>A state some steps into training (so moments and counters are not their initial values).</summary>
    static TrainState<DigitClassifier, Stats> Trained(int seed)
    {
        var random = new Random(seed);
        var pipeline = Pipeline(random.Next(4));
        var state = TrainState.Init(Model((ulong)random.Next(100), hidden: random.Next(1, 6)), FreshStats((ulong)random.Next(100)), pipeline, (ulong)random.Next(100));
        ModelLoss<DigitClassifier, Stats, DigitBatch> model = (p, b, c) =>
        {
            var plain = DigitClassifier.Model(p, b, c);
            using var half = 0.5.ToScalar();
            return new ModelOutput<Stats>(plain.Loss, plain.Metrics) { NextState = c.State with { Mean = c.State.Mean.mul(half) } };
        };
        for (var step = random.Next(4); step > 0; step--)
        {
            using var batch = RandomDigits(4, (ulong)random.Next(100));
            var next = TrainingSteps.Step(model, pipeline, state, batch).State;
            TrainState.Dispose(state);
            state = next;
        }
        return state;
    }

    [Property(MaxTest = 40)]
    public void Its_leaves_are_named_by_part_in_order_and_restore_into_a_fresh_template_bit_for_bit(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var state = Trained(seed);
        var flat = TrainStateTree.Flatten(state);
        var names = flat.Select(leaf => leaf.Path).ToArray();

        // parameters/, then optimizer/, then model-state/, then random, each part in its tree's order.
        string[] parts = [TrainStateTree.ParametersPrefix, TrainStateTree.OptimizerPrefix, TrainStateTree.ModelStatePrefix];
        var order = names.Select(name => name == TrainStateTree.RandomName ? 3 : Array.FindIndex(parts, prefix => name.StartsWith(prefix, StringComparison.Ordinal))).ToArray();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
        Assert.Equal(Tree.Paths(state.Parameters).Select(path => TrainStateTree.ParametersPrefix + path), names.Where(n => n.StartsWith(TrainStateTree.ParametersPrefix, StringComparison.Ordinal)));
        Assert.Equal(["model-state/mean", "model-state/scale", "model-state/batches"], names.Where(n => n.StartsWith(TrainStateTree.ModelStatePrefix, StringComparison.Ordinal)));
        Assert.Equal(names.Length, names.Distinct().Count());

        // Restored into a fresh state of the same model and pipeline (other values), the leaves give the state back.
        var template = TrainState.Init(Model(1000, hidden: HiddenOf(seed)), FreshStats(1000), PipelineOf(seed), 1000);
        var restored = TrainStateTree.Restore(template, flat) with { Step = state.Step, Position = state.Position };
        Assert.True(SameState(state, restored), "The restored state differs from the flattened one.");
    }

    /// <summary>The pipeline <see cref="Trained"/> draws for <paramref name="seed"/>.</summary>
    static IGradientTransformation PipelineOf(int seed) => Pipeline(new Random(seed).Next(4));

    /// <summary>The hidden width <see cref="Trained"/> draws for <paramref name="seed"/>.</summary>
    static int HiddenOf(int seed)
    {
        var random = new Random(seed);
        random.Next(4);
        random.Next(100);
        return random.Next(1, 6);
    }

    [Property(MaxTest = 30)]
    public void Releasing_a_state_releases_every_leaf_it_flattens_to_and_its_size_is_theirs(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var state = Trained(seed);
        long bytes;
        IReadOnlyList<torch.Tensor> owned;
        var flat = TrainStateTree.Flatten(state);
        bytes = flat.Sum(leaf => leaf.Value.numel() * leaf.Value.element_size());
        owned = flat.Select(leaf => leaf.Value).ToArray();
        Assert.Equal(owned.Count, owned.Distinct(ReferenceEqualityComparer.Instance).Count());
        // What releasing walks (the Core walker over the whole record) is exactly the flattened leaves the state owns.
        Assert.True(TrainStateTree.Tensors(state).ToHashSet(ReferenceEqualityComparer.Instance).SetEquals(owned), "Tensors and the flatten disagree.");
        Assert.Equal(bytes, TrainStateFile.SizeOf(state));
        Assert.Equal(bytes, TrainStateTree.Bytes(state));
        Assert.Contains(owned, tensor => ReferenceEquals(tensor, state.ModelState.Scale));
        Assert.Contains(owned, tensor => ReferenceEquals(tensor, state.RandomState));

        TrainState.Dispose(state);
        Assert.All(owned, tensor => Assert.True(tensor.IsInvalid));
        Assert.True(state.ModelState.Batches.IsInvalid);
    }

    [Fact]
    public void A_stateless_model_has_no_model_state_leaf_and_no_state_is_one_value()
    {
        using var scope = torch.NewDisposeScope();
        var state = TrainState.Init(Model(1), NoState.Value, Optimizer.Adam(1e-2), 3);
        var flat = TrainStateTree.Flatten(state);
        Assert.DoesNotContain(flat, leaf => leaf.Path.StartsWith(TrainStateTree.ModelStatePrefix, StringComparison.Ordinal));
        Assert.Empty(Tree.Flatten(NoState.Value));
        Assert.Equal(NoState.Value, Tree.Map(NoState.Value, t => t));
        Assert.Equal(NoState.Value, state.ModelState);
    }

    [Fact]
    public void Restoring_leaves_of_another_model_state_or_pipeline_names_the_part_and_the_path()
    {
        using var scope = torch.NewDisposeScope();
        var state = TrainState.Init(Model(1), FreshStats(1), Optimizer.Adam(1e-2), 3);
        var flat = TrainStateTree.Flatten(state);
        var leaves = flat;

        var missing = Assert.Throws<InvalidDataException>(() => TrainStateTree.Restore(state, leaves.Where(l => l.Path != "model-state/scale").ToArray()));
        var otherShape = Assert.Throws<InvalidDataException>(() => TrainStateTree.Restore(state,
            leaves.Select(l => l.Path.StartsWith(TrainStateTree.OptimizerPrefix, StringComparison.Ordinal) && l.Path.EndsWith("/output/weight", StringComparison.Ordinal) ? l with { Value = torch.zeros(3) } : l).ToArray()));
        var stray = Assert.Throws<InvalidDataException>(() => TrainStateTree.Restore(state, [.. leaves, new TreeLeaf("extras/x", torch.zeros(1))]));
        var stateless = Assert.Throws<InvalidDataException>(() => TrainStateTree.Restore(TrainState.Init(Model(1), NoState.Value, Optimizer.Adam(1e-2), 3), leaves));

        Assert.Contains("another state", missing.Message);
        Assert.Contains("'scale'", missing.Message);
        Assert.Contains("another optimizer pipeline", otherShape.Message);
        Assert.Contains("output/weight", otherShape.Message);
        Assert.Contains("'extras/x'", stray.Message);
        Assert.Contains("has model state ('model-state/mean')", stateless.Message);
    }
}
