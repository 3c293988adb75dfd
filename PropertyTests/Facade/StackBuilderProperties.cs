using FsCheck.Xunit;
using Functional.Core;
using Functional.Facade;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Facade;

/// <summary>
/// The layer-stack builder against the core: a random stack has exactly the parameters the core <c>Init</c>s give
/// when called by hand in layer order from the same seed, and the forward function of the hand-written composition;
/// an invalid stack reports exactly its errors, all at once. The stacks come from <see cref="LayerStacks"/>, so a
/// failing stack shrinks to a short one.
/// </summary>
public sealed class StackBuilderProperties
{
    static StackBuilder Add(StackBuilder stack, LayerSpec op) => op.Kind switch
    {
        LayerKind.Linear => stack.Linear(op.A),
        LayerKind.Activation => stack.Activation(op.Activation),
        LayerKind.Dropout => stack.Dropout(op.Rate),
        LayerKind.LayerNorm => stack.LayerNorm(),
        LayerKind.FeedForward => stack.FeedForward(op.A, op.B, op.Activation),
        LayerKind.Residual => stack.Residual(block => op.Inner.Aggregate(block, Add)),
        _ => stack.Then(op.Inner.Aggregate(Sequential.Input(stack.Outputs), Add)),
    };

    // The hand-built value: the core Inits called in layer order.
    static object HandInit(LayerSpec op, int width, torch.Generator generator) => op.Kind switch
    {
        LayerKind.Linear => Linear.Init(generator, width, op.A, torch.CPU),
        LayerKind.Activation => op.Activation,
        LayerKind.Dropout => op.Rate,
        LayerKind.LayerNorm => LayerNorm.Init(width, torch.CPU),
        LayerKind.FeedForward => FeedForward.Init(generator, width, op.A, op.B, op.Activation, torch.CPU),
        _ => HandStack(op.Inner, width, generator),
    };

    static StackParams HandStack(IReadOnlyList<LayerSpec> ops, int width, torch.Generator generator)
    {
        var layers = new List<object>();
        foreach (var op in ops)
        {
            layers.Add(HandInit(op, width, generator));
            width = op.Outputs(width);
        }
        return new StackParams(layers);
    }

    // The hand-written forward: the core Applys composed.
    static torch.Tensor HandApply(IReadOnlyList<LayerSpec> ops, StackParams parameters, torch.Tensor x, StepContext context) =>
        ops.Select((op, i) => (op, p: parameters.Layers[i])).Aggregate(x, (h, layer) => layer.op.Kind switch
        {
            LayerKind.Linear => Linear.Apply((LinearParams)layer.p, h),
            LayerKind.Activation => Activations.Apply(layer.op.Activation, h),
            LayerKind.Dropout => Dropout.Apply(h, layer.op.Rate, context.Training, context.Generator),
            LayerKind.LayerNorm => LayerNorm.Apply((LayerNormParams)layer.p, h),
            LayerKind.FeedForward => FeedForward.Apply((FeedForwardParams)layer.p, h),
            LayerKind.Residual => h.add(HandApply(layer.op.Inner, (StackParams)layer.p, h, context), Scalars.One),
            _ => HandApply(layer.op.Inner, (StackParams)layer.p, h, context),
        });

    [Property(MaxTest = 100, Arbitrary = new[] { typeof(ValidStacks) })]
    public void A_random_stack_is_the_core_layers_initialised_and_applied_by_hand(StackCase spec)
    {
        using var scope = torch.NewDisposeScope();
        var (seed, inputs, ops) = (spec.Seed, spec.Inputs, spec.Layers);
        var stack = ops.Aggregate(Sequential.Input(inputs), Add);
        Assert.Empty(stack.Validate());
        Assert.Equal(spec.Outputs, stack.Outputs);

        var model = stack.Build(new torch.Generator((ulong)(uint)seed), torch.CPU);
        var handBuilt = HandStack(ops, inputs, new torch.Generator((ulong)(uint)seed));
        Assert.Equal(Tree.Paths(handBuilt), Tree.Paths(model.Parameters));
        Assert.All(Tree.Leaves(handBuilt).Zip(Tree.Leaves(model.Parameters)), pair => Assert.True(Same.Bitwise(pair.Item1, pair.Item2)));

        var x = torch.randn([3, inputs], generator: new torch.Generator(7));
        foreach (var training in new[] { false, true })
        {
            var built = model.Forward(model.Parameters, x, new StepContext(training, new torch.Generator(11), Capture.None));
            var expected = HandApply(ops, handBuilt, x, new StepContext(training, new torch.Generator(11), Capture.None));
            Assert.True(Same.Bitwise(expected, built), $"training {training}: {spec}");
        }
    }

    static IEnumerable<string> ExpectedErrors(IReadOnlyList<LayerSpec> ops, int width, string prefix)
    {
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            var at = $"{prefix}layers/{i}";
            if (op.Kind == LayerKind.Linear && op.A < 1) yield return Pipeline.Key($"{at} Linear.outputs", op.A);
            if (op.Kind == LayerKind.Dropout && op.Rate is not (>= 0 and < 1)) yield return Pipeline.Key($"{at} Dropout.rate", op.Rate);
            if (op.Kind == LayerKind.FeedForward && op.A < 1) yield return Pipeline.Key($"{at} FeedForward.hidden", op.A);
            if (op.Kind == LayerKind.FeedForward && op.B < 1) yield return Pipeline.Key($"{at} FeedForward.outputs", op.B);
            if (op.Kind == LayerKind.Residual)
            {
                foreach (var inner in ExpectedErrors(op.Inner, width, at + "/")) yield return inner;
                if (op.Outputs(width) != width) yield return Pipeline.Key($"{at} Residual", op.Outputs(width));
            }
            if (op.Kind == LayerKind.Then)
                foreach (var inner in ExpectedErrors(op.Inner, width, at + "/")) yield return inner;
            width = op.Outputs(width);
        }
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(PossiblyInvalidStacks) })]
    public void An_invalid_stack_reports_exactly_its_errors_all_at_once(StackCase spec)
    {
        var stack = spec.Layers.Aggregate(Sequential.Input(spec.Inputs), Add);
        var expected = ExpectedErrors(spec.Layers, spec.Inputs, "").Order(StringComparer.Ordinal).ToList();

        var actual = stack.Validate().Select(e => Pipeline.Key(e.Setting, e.Value)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        if (expected.Count > 0)
            Assert.Equal(expected.Count, Assert.Throws<ConfigurationException>(() => stack.Build(new torch.Generator(1), torch.CPU)).Errors.Count);
    }

    /// <summary>A custom layer's record: a gate over a linear layer ("layer in layer").</summary>
    public sealed record GatedParams(LinearParams Value, LinearParams Gate);

    [Fact]
    public void A_custom_layer_and_a_reused_stack_are_layers_of_a_stack()
    {
        using var scope = torch.NewDisposeScope();
        var gated = Sequential.Input(8).Layer("Gated", 8,
            (generator, inputs, device) => new GatedParams(Linear.Init(generator, inputs, 8, device), Linear.Init(generator, inputs, 8, device)),
            (p, x, _) => Linear.Apply(p.Value, x) * Activations.Sigmoid(Linear.Apply(p.Gate, x)));
        var model = Sequential.Input(3).Linear(8).Then(gated).Residual(block => block.LayerNorm().FeedForward(16, 8, Activation.Gelu)).Linear(1)
            .Build(new torch.Generator(5), torch.CPU);

        Assert.Equal(
            ["layers/0/weight", "layers/0/bias",
             "layers/1/layers/0/value/weight", "layers/1/layers/0/value/bias", "layers/1/layers/0/gate/weight", "layers/1/layers/0/gate/bias",
             "layers/2/layers/0/weight", "layers/2/layers/0/bias",
             "layers/2/layers/1/inner/weight", "layers/2/layers/1/inner/bias", "layers/2/layers/1/outer/weight", "layers/2/layers/1/outer/bias",
             "layers/3/weight", "layers/3/bias"],
            Tree.Paths(model.Parameters));
        var output = model.Forward(model.Parameters, torch.randn(2, 3), new StepContext(false, new torch.Generator(1), Capture.None));
        Assert.Equal([2L, 1L], output.shape);

        var wrong = Sequential.Input(3).Linear(5).Then(gated).Residual(block => block.Linear(2)).Dropout(1);
        var error = Assert.Throws<ConfigurationException>(() => wrong.Build(new torch.Generator(1), torch.CPU));
        Assert.Equal(new[]
            {"layers/1 Then = 8: the stack takes 8 features but the layer before gives 5",
             "layers/2 Residual = 2: the block ends with 2 features but its input has 8; a residual block keeps the width",
             "layers/3 Dropout.rate = 1: must be in [0, 1)"},
            error.Errors.Select(e => e.ToString()).ToArray());
    }
}
