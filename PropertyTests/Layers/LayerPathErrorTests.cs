using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

/// <summary>A model made of layers held as fields: an encoder (itself two layers) and a head.</summary>
public sealed record Net(FeedForwardParams Encoder, LinearParams Head);

/// <summary>A model with a lookup table and a list of layers.</summary>
/// <remarks>
/// The list is an array: a field declared <c>IReadOnlyList&lt;LinearParams&gt;</c> and filled with a collection
/// expression is refused by the tree today (see <see cref="LayerPathErrorTests.An_IReadOnlyList_field_filled_by_a_collection_expression_is_a_tree"/>).
/// </remarks>
public sealed record Stack(EmbeddingParams Tokens, LinearParams[] Layers);

/// <summary>As <see cref="Stack"/> with the list declared as the interface.</summary>
public sealed record InterfaceStack(EmbeddingParams Tokens, IReadOnlyList<LinearParams> Layers);

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class LayerPathErrorTests
{
    static torch.Tensor Loss(Net net, torch.Tensor x) => Linear.Apply(net.Head, FeedForward.Apply(net.Encoder, x)).sum();

    static torch.Tensor Loss(Stack stack, torch.Tensor ids) =>
        stack.Layers.Aggregate(Embedding.Apply(stack.Tokens, ids), (h, layer) => Linear.Apply(layer, h)).sum();

    /// <summary>Runs <paramref name="action"/> and returns its LayerInputException after checking the path is named and the original is inside.</summary>
    static LayerInputException At(string path, Action action)
    {
        var error = Assert.Throws<LayerInputException>(action);
        Assert.Equal(path, error.Path);
        Assert.Contains($"at '{path}'", error.Message);
        var original = Assert.IsType<LayerInputException>(error.InnerException);
        Assert.Null(original.Path);
        return error;
    }

    [Property(MaxTest = 100)]
    public void ValueAndGrad_names_the_path_of_the_layer_that_refuses_its_input(Dim inputs, Dim hidden, Dim outputs, Dim classes, Dim extra, Batch batch, Activation activation, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var net = new Net(FeedForward.Init(generator, inputs, hidden, outputs, activation, Cpu), Linear.Init(generator, outputs, classes, Cpu));
        var before = Snapshot(net);
        var good = Normal(generator, batch, inputs);
        Autodiff.ValueAndGrad(n => Loss(n, good), net);

        var wide = Normal(generator, batch, inputs + extra);
        var width = At("encoder/inner", () => Autodiff.ValueAndGrad(n => Loss(n, wide), net));
        Assert.Contains($"[..., {inputs}]", width.Message);
        Assert.Contains($"Float32[{batch}, {inputs + extra}]", width.Message);

        var dtype = At("encoder/inner", () => Autodiff.ValueAndGrad(n => Loss(n, good.to(torch.float64)), net));
        Assert.Contains("dtype Float32", dtype.Message);
        Assert.Contains($"Float64[{batch}, {inputs}]", dtype.Message);

        var badOuter = net with { Encoder = net.Encoder with { Outer = Linear.Init(generator, hidden + extra, outputs, Cpu) } };
        var outer = At("encoder/outer", () => Autodiff.ValueAndGrad(n => Loss(n, good), badOuter));
        Assert.Contains($"[..., {hidden + extra}]", outer.Message);
        Assert.Contains($"Float32[{batch}, {hidden}]", outer.Message);

        var badHead = net with { Head = Linear.Init(generator, outputs + extra, classes, Cpu) };
        var head = At("head", () => Autodiff.ValueAndGrad(n => Loss(n, good), badHead));
        Assert.Contains($"Float32[{batch}, {outputs}]", head.Message);

        // The same through GradCheck (float64) and LayerPaths.Resolve; the caller's tensors are untouched throughout.
        At("encoder/inner", () => GradCheck.Run(n => Loss(n, wide.to(torch.float64)), net, GradCheckOptions.Default));
        At("encoder/outer", () => LayerPaths.Resolve(badOuter, n => Loss(n, good)));
        AssertUnchanged(net, before);
    }

    [Property(MaxTest = 100)]
    public void Paths_reach_into_lists_and_name_embedding_range_errors(Dim vocabulary, Dim dimension, Dim width, Dim extra, Batch batch, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var stack = new Stack(Embedding.Init(generator, vocabulary, dimension, Cpu),
            [Linear.Init(generator, dimension, width, Cpu), Linear.Init(generator, width + extra, 2, Cpu)]);
        var ids = torch.randint(0, vocabulary, [batch, 3], generator: generator);

        var layer = At("layers/1", () => Autodiff.ValueAndGrad(s => Loss(s, ids), stack));
        Assert.Contains($"Float32[{batch}, 3, {width}]", layer.Message);

        using var shift = vocabulary.Value.ToScalar();
        var tooLarge = ids.add(shift, Scalars.One);
        var range = At("tokens", () => Autodiff.ValueAndGrad(s => Loss(s, tooLarge), stack));
        Assert.Contains($"ids in [0, {vocabulary})", range.Message);
        Assert.Contains($"ids from {tooLarge.min().item<long>()} to {tooLarge.max().item<long>()}", range.Message);
    }

    /// <summary>
    /// The tree's documentation lists <c>IReadOnlyList&lt;T&gt;</c> among the list kinds, but
    /// <c>TreeNodes.Create</c> sends every interface to the dynamic (runtime-type) node first — its test
    /// <c>type.IsAbstract &amp;&amp; !type.IsSealed</c> is true for interfaces — and the runtime type of a collection
    /// expression (<c>&lt;&gt;z__ReadOnlyArray&lt;T&gt;</c>) is not a list kind, so the walk throws.
    /// </summary>
    [Fact]
    public void An_IReadOnlyList_field_filled_by_a_collection_expression_is_a_tree()
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(0);
        var stack = new InterfaceStack(Embedding.Init(generator, 3, 2, Cpu), [Linear.Init(generator, 2, 2, Cpu), Linear.Init(generator, 2, 1, Cpu)]);
        Assert.Equal(["tokens/weight", "layers/0/weight", "layers/0/bias", "layers/1/weight", "layers/1/bias"], Tree.Paths(stack));
    }
}
