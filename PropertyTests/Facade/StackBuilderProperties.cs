using FsCheck.Xunit;
using Functional.Core;
using Functional.Facade;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Facade;

/// <summary>
/// The layer-stack builder against the core: a random stack has exactly the parameters the core <c>Init</c>s give
/// when called by hand in layer order from the same seed, and the forward function of the hand-written composition;
/// an invalid stack reports exactly its errors, all at once.
/// </summary>
public sealed class StackBuilderProperties
{
    /// <summary>One layer of a random stack; a residual block holds its inner layers.</summary>
    sealed record Op(string Kind, int A, int B, double Rate, Activation Activation, Op[] Inner)
    {
        public override string ToString() => Kind switch
        {
            "Residual" or "Then" => $"{Kind}({string.Join(", ", Inner.Select(o => o.ToString()))})",
            _ => $"{Kind}({A}, {B}, {Rate}, {Activation})",
        };
    }

    static readonly Activation[] Kinds = Enum.GetValues<Activation>();

    static Op RandomOp(Random random, int width, bool inBlock, bool mayBeInvalid)
    {
        int Size() => mayBeInvalid && random.Next(4) == 0 ? -random.Next(3) : 1 + random.Next(6);
        double Rate() => mayBeInvalid && random.Next(4) == 0 ? new[] { 1.0, 1.5, -0.1 }[random.Next(3)] : random.Next(5) / 10.0;
        var activation = Kinds[random.Next(Kinds.Length)];
        return random.Next(inBlock ? 5 : 7) switch
        {
            0 => new Op("Linear", inBlock ? width : Size(), 0, 0, activation, []),
            1 => new Op("Activation", 0, 0, 0, activation, []),
            2 => new Op("Dropout", 0, 0, Rate(), activation, []),
            3 => new Op("LayerNorm", 0, 0, 0, activation, []),
            4 => new Op("FeedForward", Size(), inBlock ? width : Size(), 0, activation, []),
            5 => new Op("Residual", 0, 0, 0, activation, RandomBlock(random, width, mayBeInvalid)),
            _ => new Op("Then", 0, 0, 0, activation, RandomStack(random, width, mayBeInvalid)),
        };
    }

    static Op[] RandomBlock(Random random, int width, bool mayBeInvalid)
    {
        var inner = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => RandomOp(random, width, inBlock: true, mayBeInvalid)).ToList();
        // Sometimes the block ends at another width (an error when that is allowed).
        if (mayBeInvalid && random.Next(3) == 0) inner.Add(new Op("Linear", width + 1 + random.Next(2), 0, 0, Activation.Relu, []));
        return inner.ToArray();
    }

    /// <summary>A reused stack (a layer made of layers): any layers but residual blocks and further stacks, starting at <paramref name="width"/>.</summary>
    static Op[] RandomStack(Random random, int width, bool mayBeInvalid)
    {
        var inner = new List<Op>();
        for (var i = random.Next(3); i >= 0; i--)
        {
            var op = RandomOp(random, width, inBlock: false, mayBeInvalid);
            if (op.Kind is "Residual" or "Then") continue;
            inner.Add(op);
            width = Outputs(op, width);
        }
        return inner.ToArray();
    }

    static int Outputs(Op op, int width) => op.Kind switch
    {
        "Linear" => op.A,
        "FeedForward" => op.B,
        "Residual" or "Then" => op.Inner.Aggregate(width, (w, o) => Outputs(o, w)),
        _ => width,
    };

    static StackBuilder Add(StackBuilder stack, Op op) => op.Kind switch
    {
        "Linear" => stack.Linear(op.A),
        "Activation" => stack.Activation(op.Activation),
        "Dropout" => stack.Dropout(op.Rate),
        "LayerNorm" => stack.LayerNorm(),
        "FeedForward" => stack.FeedForward(op.A, op.B, op.Activation),
        "Residual" => stack.Residual(block => op.Inner.Aggregate(block, Add)),
        _ => stack.Then(op.Inner.Aggregate(Sequential.Input(stack.Outputs), Add)),
    };

    // The hand-built value: the core Inits called in layer order.
    static object HandInit(Op op, int width, torch.Generator generator) => op.Kind switch
    {
        "Linear" => Linear.Init(generator, width, op.A, torch.CPU),
        "Activation" => op.Activation,
        "Dropout" => op.Rate,
        "LayerNorm" => LayerNorm.Init(width, torch.CPU),
        "FeedForward" => FeedForward.Init(generator, width, op.A, op.B, op.Activation, torch.CPU),
        _ => HandStack(op.Inner, width, generator),
    };

    static StackParams HandStack(Op[] ops, int width, torch.Generator generator)
    {
        var layers = new List<object>();
        foreach (var op in ops)
        {
            layers.Add(HandInit(op, width, generator));
            width = Outputs(op, width);
        }
        return new StackParams(layers);
    }

    // The hand-written forward: the core Applys composed.
    static torch.Tensor HandApply(Op[] ops, StackParams parameters, torch.Tensor x, StepContext context) =>
        ops.Select((op, i) => (op, p: parameters.Layers[i])).Aggregate(x, (h, layer) => layer.op.Kind switch
        {
            "Linear" => Linear.Apply((LinearParams)layer.p, h),
            "Activation" => Activations.Apply(layer.op.Activation, h),
            "Dropout" => Dropout.Apply(h, layer.op.Rate, context.Training, context.Generator),
            "LayerNorm" => LayerNorm.Apply((LayerNormParams)layer.p, h),
            "FeedForward" => FeedForward.Apply((FeedForwardParams)layer.p, h),
            "Residual" => h.add(HandApply(layer.op.Inner, (StackParams)layer.p, h, context), Scalars.One),
            _ => HandApply(layer.op.Inner, (StackParams)layer.p, h, context),
        });

    [Property(MaxTest = 100)]
    public void A_random_stack_is_the_core_layers_initialised_and_applied_by_hand(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var inputs = 1 + random.Next(5);
        var ops = new List<Op>();
        var width = inputs;
        for (var i = random.Next(6); i >= 0; i--)
        {
            ops.Add(RandomOp(random, width, inBlock: false, mayBeInvalid: false));
            width = Outputs(ops[^1], width);
        }
        var stack = ops.Aggregate(Sequential.Input(inputs), Add);
        Assert.Empty(stack.Validate());
        Assert.Equal(width, stack.Outputs);

        var model = stack.Build(new torch.Generator((ulong)(uint)seed), torch.CPU);
        var handBuilt = HandStack(ops.ToArray(), inputs, new torch.Generator((ulong)(uint)seed));
        Assert.Equal(Tree.Paths(handBuilt), Tree.Paths(model.Parameters));
        Assert.All(Tree.Leaves(handBuilt).Zip(Tree.Leaves(model.Parameters)), pair => Assert.True(Same.Bitwise(pair.Item1, pair.Item2)));

        var x = torch.randn([3, inputs], generator: new torch.Generator(7));
        foreach (var training in new[] { false, true })
        {
            var built = model.Forward(model.Parameters, x, new StepContext(training, new torch.Generator(11), Capture.None));
            var expected = HandApply(ops.ToArray(), handBuilt, x, new StepContext(training, new torch.Generator(11), Capture.None));
            Assert.True(Same.Bitwise(expected, built), $"training {training}: {string.Join(", ", ops)}");
        }
    }

    static IEnumerable<string> ExpectedErrors(Op[] ops, int width, string prefix)
    {
        for (var i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            var at = $"{prefix}layers/{i}";
            if (op.Kind == "Linear" && op.A < 1) yield return Pipeline.Key($"{at} Linear.outputs", op.A);
            if (op.Kind == "Dropout" && op.Rate is not (>= 0 and < 1)) yield return Pipeline.Key($"{at} Dropout.rate", op.Rate);
            if (op.Kind == "FeedForward" && op.A < 1) yield return Pipeline.Key($"{at} FeedForward.hidden", op.A);
            if (op.Kind == "FeedForward" && op.B < 1) yield return Pipeline.Key($"{at} FeedForward.outputs", op.B);
            if (op.Kind == "Residual")
            {
                foreach (var inner in ExpectedErrors(op.Inner, width, at + "/")) yield return inner;
                if (Outputs(op, width) != width) yield return Pipeline.Key($"{at} Residual", Outputs(op, width));
            }
            if (op.Kind == "Then")
                foreach (var inner in ExpectedErrors(op.Inner, width, at + "/")) yield return inner;
            width = Outputs(op, width);
        }
    }

    [Property(MaxTest = 200)]
    public void An_invalid_stack_reports_exactly_its_errors_all_at_once(int seed)
    {
        var random = new Random(seed);
        var ops = new List<Op>();
        var width = 4;
        for (var i = random.Next(8); i >= 0; i--)
        {
            ops.Add(RandomOp(random, width, inBlock: false, mayBeInvalid: true));
            width = Outputs(ops[^1], width);
        }
        var stack = ops.Aggregate(Sequential.Input(4), Add);
        var expected = ExpectedErrors(ops.ToArray(), 4, "").Order(StringComparer.Ordinal).ToList();

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
