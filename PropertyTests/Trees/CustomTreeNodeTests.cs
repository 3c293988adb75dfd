using System.Globalization;
using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Trees;

/// <summary>
/// Records with their own flattening, declared on the record (<see cref="CustomTreeNodeAttribute"/>): the LSTM and GRU
/// records keep the names, order and tensors they had when <c>Trees/</c> special-cased them, and a record defined here,
/// in a test, gets its own flattening without any change to Core.
/// </summary>
public sealed class CustomTreeNodeTests
{
    static readonly torch.Device Cpu = torch.CPU;

    /// <summary>
    /// The leaves the LSTM/GRU special case produced, written out by hand: per layer forward then backward, per direction
    /// the four tensors in field order, named as PyTorch's state dict under the record's path.
    /// </summary>
    static List<TreeLeaf> ReferenceLeaves(string path, RecurrentLayerParams[] layers)
    {
        var leaves = new List<TreeLeaf>();
        string Join(string name) => path.Length == 0 ? name : path + "/" + name;
        for (var k = 0; k < layers.Length; k++)
            foreach (var (cell, suffix) in layers[k].Backward is { } backward ? new[] { (layers[k].Forward, ""), (backward, "_reverse") } : [(layers[k].Forward, "")])
            {
                var l = k.ToString(CultureInfo.InvariantCulture);
                leaves.Add(new TreeLeaf(Join($"weight_ih_l{l}{suffix}"), cell.InputWeight));
                leaves.Add(new TreeLeaf(Join($"weight_hh_l{l}{suffix}"), cell.HiddenWeight));
                leaves.Add(new TreeLeaf(Join($"bias_ih_l{l}{suffix}"), cell.InputBias));
                leaves.Add(new TreeLeaf(Join($"bias_hh_l{l}{suffix}"), cell.HiddenBias));
            }
        return leaves;
    }

    sealed record Encoder(torch.Tensor Embedding, LstmParams Lstm, GruParams Gru, string Name);

    [Property(MaxTest = 60)]
    public void Recurrent_records_flatten_name_rebuild_and_find_as_before(PositiveInt seed, bool bidirectional, bool threeLayers, bool gruBidirectional)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator((ulong)seed.Get, Cpu);
        var layers = threeLayers ? 3 : 1;
        var model = new Encoder(torch.randn([5, 3], generator: generator), Lstm.Init(generator, 3, 2, layers, bidirectional, Cpu),
            Gru.Init(generator, 4, 3, 2, gruBidirectional, Cpu), "encoder");

        var expected = new List<TreeLeaf> { new("embedding", model.Embedding) };
        expected.AddRange(ReferenceLeaves("lstm", model.Lstm.Layers));
        expected.AddRange(ReferenceLeaves("gru", model.Gru.Layers));
        var actual = Tree.Flatten(model);

        Assert.Equal(expected.Select(leaf => leaf.Path), actual.Select(leaf => leaf.Path));
        Assert.All(expected.Zip(actual), pair => Assert.Same(pair.Item1.Value, pair.Item2.Value));
        Assert.All(expected.Zip(Tree.Leaves(model)), pair => Assert.Same(pair.Item1.Value, pair.Item2));

        // Round trip: the rebuilt tree holds the given tensors, in the same places, with the same structure and configuration.
        var copies = actual.Select(leaf => leaf.Value.clone()).ToArray();
        var rebuilt = Tree.Unflatten(model, copies);
        Assert.Equal("encoder", rebuilt.Name);
        Assert.All(copies.Zip(Tree.Leaves(rebuilt)), pair => Assert.Same(pair.Item1, pair.Item2));
        Assert.Equal(expected.Select(leaf => leaf.Path), Tree.Paths(rebuilt));
        for (var k = 0; k < layers; k++)
        {
            Assert.Equal(bidirectional, rebuilt.Lstm.Layers[k].Backward is not null);
            Assert.True(rebuilt.Lstm.Layers[k].Forward.HiddenWeight.eq(model.Lstm.Layers[k].Forward.HiddenWeight).all().item<bool>());
        }
        Assert.All(rebuilt.Gru.Layers, layer => Assert.Equal(gruBidirectional, layer.Backward is not null));

        // Inner records are found at the recurrent record's own path, as before.
        Assert.Equal("lstm", Tree.PathOf(model, model.Lstm.Layers[layers - 1].Forward));
        Assert.Equal("gru", Tree.PathOf(model, model.Gru.Layers[1]));
        Assert.Equal("gru/bias_hh_l1", Tree.PathOf(model, model.Gru.Layers[1].Forward.HiddenBias));
    }

    /// <summary>A test-defined record whose leaves are named by its tag and come in reverse field order.</summary>
    [CustomTreeNode(typeof(SwappedNode))]
    public sealed record Swapped(torch.Tensor First, torch.Tensor Second, string Tag);

    sealed class SwappedNode : ICustomTreeNode
    {
        public void Flatten(object value, ICustomTreeLeaves leaves)
        {
            var swapped = (Swapped)value;
            leaves.Leaf(swapped.Tag + "/second", swapped.Second);
            leaves.Leaf(swapped.Tag + "/first", swapped.First);
        }

        public object Rebuild(object template, ICustomTreeSource leaves)
        {
            var swapped = (Swapped)template;
            var second = leaves.Next();
            return swapped with { First = leaves.Next(), Second = second };
        }
    }

    sealed record Holder(Swapped[] Parts, torch.Tensor Bias);

    [Fact]
    public void A_record_defined_in_a_test_flattens_through_its_own_node()
    {
        using var scope = torch.NewDisposeScope();
        var tree = new Holder([new Swapped(torch.zeros(1), torch.ones(2), "a"), new Swapped(torch.zeros(3), torch.ones(4), "b")], torch.ones(5));

        Assert.Equal(new[] { "parts/0/a/second", "parts/0/a/first", "parts/1/b/second", "parts/1/b/first", "bias" }, Tree.Paths(tree).ToArray());
        Assert.Equal(new long[] { 2, 1, 4, 3, 5 }, Tree.Leaves(tree).Select(t => t.shape[0]).ToArray());

        using var one = 1.ToScalar();
        var shifted = Tree.Map(tree, t => t.add(t, Scalars.One).add(one, Scalars.One));
        Assert.Equal(new[] { "a", "b" }, shifted.Parts.Select(part => part.Tag).ToArray());
        Assert.Equal(new[] { 1f, 3f, 1f, 3f }, shifted.Parts.SelectMany(part => new[] { part.First[0].item<float>(), part.Second[0].item<float>() }).ToArray());
        Assert.Equal(new long[] { 1, 2, 3, 4 }, shifted.Parts.SelectMany(part => new[] { part.First.shape[0], part.Second.shape[0] }).ToArray());
        Assert.Equal("parts/1", Tree.PathOf(tree, tree.Parts[1]));
        Assert.Throws<ArgumentException>(() => Tree.Unflatten(tree, Tree.Leaves(tree).Take(3)));
    }

    [CustomTreeNode(typeof(string))]
    public sealed record Misdeclared(torch.Tensor Weight);

    [Fact]
    public void A_declared_node_that_is_not_a_custom_tree_node_is_refused_naming_both_types()
    {
        using var weight = torch.zeros(1);
        var error = Assert.Throws<ArgumentException>(() => Tree.Paths(new Misdeclared(weight)));
        Assert.Contains(nameof(Misdeclared), error.Message);
        Assert.Contains("System.String", error.Message);
    }
}
