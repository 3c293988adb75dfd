using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Trees;

public sealed class TreeProperties
{
    [Property(MaxTest = 300)]
    public void Unflatten_of_flatten_gives_back_the_same_leaves_paths_and_configuration(int seed)
    {
        var net = RandomTrees.Net(seed);
        var leaves = Tree.Flatten(net);

        var rebuilt = Tree.Unflatten(net, leaves.Select(leaf => leaf.Value));

        var again = Tree.Flatten(rebuilt);
        Assert.Equal(leaves.Select(l => l.Path), again.Select(l => l.Path));
        Assert.True(Enumerable.Zip(leaves, again, (a, b) => ReferenceEquals(a.Value, b.Value)).All(same => same));
        Assert.Equal(net.Rate, rebuilt.Rate);
        Assert.Equal(net.Encoder.Name, rebuilt.Encoder.Name);
        Assert.Equal(net.Layers.Select(l => l.Cells.Count), rebuilt.Layers.Select(l => l.Cells.Count));
        Assert.Equal(net.Heads.Select(h => h.Width), rebuilt.Heads.Select(h => h.Width));
        Assert.Equal(net.Scale is null, rebuilt.Scale is null);
        Assert.Equal(net.Anything.GetType(), rebuilt.Anything.GetType());
        Assert.Equal(Tree.LeafCount(net), leaves.Count);
        Assert.Equal(leaves.Sum(l => l.Value.numel()), Tree.Size(net));
    }

    [Property(MaxTest = 200)]
    public void Map_applies_the_function_to_every_leaf_in_place_of_it(int seed)
    {
        var net = RandomTrees.Net(seed);

        var doubled = Tree.Map(net, leaf => leaf.mul(Scalars.Two));

        var before = Tree.Leaves(net);
        var after = Tree.Leaves(doubled);
        Assert.Equal(Tree.Paths(net), Tree.Paths(doubled));
        Assert.All(Enumerable.Zip(before, after, (a, b) => Same.Bitwise(a.mul(Scalars.Two), b)), Assert.True);
    }

    [Property(MaxTest = 200)]
    public void Zip_combines_leaves_at_the_same_path(int seed)
    {
        var net = RandomTrees.Net(seed);
        var other = Tree.Map(net, leaf => torch.ones_like(leaf));

        var sum = Tree.Zip(net, other, (a, b) => a.add(b, Scalars.One));

        Assert.All(Enumerable.Zip(Tree.Leaves(net), Tree.Leaves(sum), (a, b) => Same.Bitwise(a.add(Scalars.One, Scalars.One), b)), Assert.True);
    }

    [Property(MaxTest = 200)]
    public void Zip_of_trees_that_differ_names_the_first_differing_path(int seed)
    {
        var net = RandomTrees.Net(seed);
        var leaves = Tree.Flatten(net);
        if (leaves.Count == 0) return;
        var changed = new Random(seed).Next(leaves.Count);
        var reshaped = Tree.MapWithPath(net, (path, leaf) => path == leaves[changed].Path ? torch.zeros(leaf.numel() + 1) : leaf);

        var error = Assert.Throws<TreeMismatchException>(() => Tree.Zip(net, reshaped, (a, _) => a));

        Assert.Equal(leaves[changed].Path, error.Path);
        Assert.Contains(Shapes.Format(leaves[changed].Value.shape), error.Message);
    }

    [Property(MaxTest = 200)]
    public void PathOf_finds_every_record_and_leaf_where_flatten_puts_it(int seed)
    {
        var net = RandomTrees.Net(seed);
        foreach (var leaf in Tree.Flatten(net))
            Assert.Equal(leaf.Path, Tree.PathOf(net, leaf.Value));
        for (var i = 0; i < net.Layers.Count; i++)
            Assert.Equal($"layers/{i}", Tree.PathOf(net, net.Layers[i]));
        Assert.Null(Tree.PathOf(net, new Cell(torch.zeros(1), null, 1)));
    }
}
