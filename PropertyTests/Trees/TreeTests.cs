using System.Collections.Immutable;
using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Trees;

public sealed class TreeTests
{
    [Fact]
    public void Paths_follow_constructor_order_with_lower_case_field_names_and_list_indices()
    {
        var cell = new Cell(torch.zeros(2), null, 3);
        var net = new Net(
            new Block(cell, [cell with { Bias = torch.zeros(1) }], [torch.zeros(1)], "e"),
            [new Block(cell, [], [], "l")],
            [cell],
            torch.ones(1),
            "configuration",
            0.5);

        Assert.Equal(
            ["encoder/first/weight", "encoder/cells/0/weight", "encoder/cells/0/bias", "encoder/extras/0",
             "layers/0/first/weight", "heads/0/weight", "scale"],
            Tree.Paths(net));
    }

    sealed record Renamed([property: TreeName("running_mean")] torch.Tensor RunningMean, torch.Tensor Other);

    [Fact]
    public void A_tree_name_attribute_sets_the_fields_path_segment_and_the_tree_rebuilds()
    {
        var tree = new Renamed(torch.zeros(2), torch.ones(3));

        var rebuilt = Tree.Unflatten(tree, [torch.ones(2), torch.zeros(3)]);

        Assert.Equal(["running_mean", "other"], Tree.Paths(tree));
        Assert.Equal(["running_mean", "other"], Tree.Paths(rebuilt));
        Assert.Equal(1f, rebuilt.RunningMean.sum().item<float>() / 2);
        Assert.Throws<ArgumentException>(() => new TreeNameAttribute("a/b"));
    }

    [Fact]
    public void A_bare_tensor_is_a_tree_with_one_leaf_at_the_root()
    {
        var tensor = torch.ones(3);

        Assert.Equal([""], Tree.Paths(tensor));
        Assert.Same(tensor, Tree.Leaves(tensor).Single());
    }

    [Fact]
    public void A_list_of_tensors_is_a_tree()
    {
        IReadOnlyList<torch.Tensor> list = [torch.ones(1), torch.ones(2)];

        using var three = 3.ToScalar();
        var rebuilt = Tree.Map(list, t => t.mul(three));

        Assert.Equal(["0", "1"], Tree.Paths(list));
        Assert.Equal(6.0f, rebuilt[1].sum().item<float>());
    }

    [Fact]
    public void Unflatten_refuses_the_wrong_number_of_leaves()
    {
        var cell = new Cell(torch.zeros(2), torch.zeros(1), 3);

        Assert.Contains("Too few leaves", Assert.Throws<ArgumentException>(() => Tree.Unflatten(cell, [torch.zeros(2)])).Message);
        Assert.Contains("Too many leaves", Assert.Throws<ArgumentException>(() => Tree.Unflatten(cell, [torch.zeros(2), torch.zeros(1), torch.zeros(1)])).Message);
    }

    [Fact]
    public void Zip_of_trees_with_different_list_lengths_names_the_missing_path()
    {
        var cell = new Cell(torch.zeros(2), null, 3);
        var longer = new Block(cell, [cell, cell], [], "b");
        var shorter = longer with { Cells = [cell] };

        var error = Assert.Throws<TreeMismatchException>(() => Tree.Zip(longer, shorter, (a, _) => a));

        Assert.Equal("cells/1/weight", error.Path);
    }

    [Fact]
    public void Immutable_list_fields_are_rebuilt_as_their_own_type()
    {
        var heads = ImmutableList.Create(new Cell(torch.zeros(1), null, 1));
        var holder = new ImmutableHolder(heads);

        var rebuilt = Tree.Map(holder, t => t.add(Scalars.One, Scalars.One));

        Assert.Equal(1.0f, rebuilt.Heads[0].Weight.item<float>());
    }

    public sealed record ImmutableHolder(ImmutableList<Cell> Heads);

    public sealed record HasDictionary(Dictionary<string, torch.Tensor> Weights);

    public sealed class NotARecord
    {
        public torch.Tensor Weight { get; set; } = torch.zeros(1);
    }

    public sealed record HoldsNotARecord(NotARecord Inner);

    [Fact]
    public void Types_that_hold_tensors_the_tree_cannot_walk_are_refused_not_ignored()
    {
        var dictionary = new HasDictionary(new() { ["w"] = torch.zeros(1) });

        Assert.Contains("Values", Assert.Throws<ArgumentException>(() => Tree.Flatten(dictionary)).Message);
        Assert.Contains("NotARecord", Assert.Throws<ArgumentException>(() => Tree.Flatten(new HoldsNotARecord(new NotARecord()))).Message);
    }

    [Fact]
    public void Dispose_releases_every_leaf()
    {
        var cell = new Cell(torch.zeros(2), torch.zeros(1), 3);

        Tree.Dispose(cell);

        Assert.True(cell.Weight.IsInvalid);
        Assert.True(cell.Bias!.IsInvalid);
    }
}
