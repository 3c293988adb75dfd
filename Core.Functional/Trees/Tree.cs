using TorchSharp;

namespace Functional.Core;

/// <summary>
/// Any parameter record as an ordered list of <c>(path, tensor)</c> leaves, and back.
/// </summary>
/// <remarks>
/// A tree is a tensor, a record of subtrees (C# positional record or F# record), a list or array of subtrees, an
/// F# option of a subtree, or null (an absent optional tensor, which has no leaf). Other fields (numbers,
/// strings, enums, tensor-free records) are configuration: they have no leaves and are carried over unchanged
/// when a tree is rebuilt. The structure of a tree is the value's own (list lengths and absent fields included);
/// the order of leaves is the order of constructor parameters, depth first. Nothing here copies, mutates or
/// disposes a tensor: rebuilt trees hold exactly the tensors given to them.
/// </remarks>
public static class Tree
{
    /// <summary>The leaves of <paramref name="tree"/> with their paths, in order.</summary>
    public static IReadOnlyList<TreeLeaf> Flatten<T>(T tree)
    {
        var collector = new LeafCollector(wantsPaths: true);
        Walk(tree, collector);
        return collector.Leaves;
    }

    /// <summary>The tensors of <paramref name="tree"/> in flatten order (cheaper than <see cref="Flatten{T}"/>: no paths are built).</summary>
    public static IReadOnlyList<torch.Tensor> Leaves<T>(T tree)
    {
        var collector = new LeafCollector(wantsPaths: false);
        Walk(tree, collector);
        return collector.Tensors;
    }

    /// <summary>The paths of the leaves of <paramref name="tree"/>, in order.</summary>
    public static IReadOnlyList<string> Paths<T>(T tree) => Flatten(tree).Select(leaf => leaf.Path).ToArray();

    /// <summary>
    /// A tree with the structure and configuration of <paramref name="template"/> whose leaves are
    /// <paramref name="leaves"/>, in flatten order. The number of leaves must match exactly.
    /// </summary>
    public static T Unflatten<T>(T template, IEnumerable<torch.Tensor> leaves)
    {
        var given = leaves as IReadOnlyList<torch.Tensor> ?? leaves.ToArray();
        var cursor = new LeafCursor(given);
        var rebuilt = NodeOf(template).Rebuild(template, cursor);
        cursor.CheckExhausted();
        return (T)rebuilt!;
    }

    /// <summary>A tree of the same structure whose every leaf is <paramref name="function"/> of the old one.</summary>
    public static T Map<T>(T tree, Func<torch.Tensor, torch.Tensor> function) =>
        Unflatten(tree, Leaves(tree).Select(function).ToArray());

    /// <summary>Like <see cref="Map{T}"/>, with the leaf's path passed to <paramref name="function"/>.</summary>
    public static T MapWithPath<T>(T tree, Func<string, torch.Tensor, torch.Tensor> function) =>
        Unflatten(tree, Flatten(tree).Select(leaf => function(leaf.Path, leaf.Value)).ToArray());

    /// <summary>
    /// A tree of the structure of <paramref name="first"/> whose leaves are <paramref name="function"/> of the
    /// leaves of both trees at the same path. The trees must have the same paths and the same leaf shapes,
    /// otherwise a <see cref="TreeMismatchException"/> names the first difference.
    /// </summary>
    public static T Zip<T>(T first, T second, Func<torch.Tensor, torch.Tensor, torch.Tensor> function)
    {
        var left = Flatten(first);
        var right = Flatten(second);
        CheckSameLeaves(left, right);
        var combined = new torch.Tensor[left.Count];
        for (var i = 0; i < combined.Length; i++) combined[i] = function(left[i].Value, right[i].Value);
        return Unflatten(first, combined);
    }

    /// <summary>
    /// Throws a <see cref="TreeMismatchException"/> naming the first path at which <paramref name="actual"/>
    /// differs from <paramref name="expected"/> in structure or in a leaf's shape.
    /// </summary>
    public static void CheckSameStructure<T>(T expected, T actual) => CheckSameLeaves(Flatten(expected), Flatten(actual));

    /// <summary>The number of leaves.</summary>
    public static int LeafCount<T>(T tree) => Leaves(tree).Count;

    /// <summary>The total number of elements over all leaves.</summary>
    public static long Size<T>(T tree) => Leaves(tree).Sum(leaf => leaf.numel());

    /// <summary>
    /// The path at which <paramref name="node"/> (a record, list or tensor, compared by reference) sits in
    /// <paramref name="tree"/>; the first one if it sits at several; null if it is not in the tree.
    /// </summary>
    public static string? PathOf<T>(T tree, object node)
    {
        var finder = new NodeFinder(node);
        Walk(tree, finder);
        return finder.Found;
    }

    /// <summary>
    /// Every record and list of <paramref name="tree"/> (before its children, at its own path) and every leaf tensor,
    /// in walk order: for looking things up by type or printing a tree. Configuration values (numbers, tensor-free
    /// records) are not items. The inner records of a custom node (<see cref="ICustomTreeNode"/>) appear at the node's path.
    /// </summary>
    public static IReadOnlyList<TreeItem> Items<T>(T tree)
    {
        var collector = new ItemCollector();
        Walk(tree, collector);
        return collector.Items;
    }

    /// <summary>
    /// Disposes every leaf of <paramref name="tree"/>: for releasing a tree the caller owns and will not use again
    /// (an old parameter version, say). Never call it on a tree whose tensors are shared with a live one.
    /// </summary>
    public static void Dispose<T>(T tree)
    {
        foreach (var leaf in Leaves(tree)) leaf.Dispose();
    }

    static TreeNode NodeOf<T>(T tree) =>
        TreeNodes.For(tree is null || TreeNodes.ClassifiesByStaticType(typeof(T)) ? typeof(T) : tree.GetType());

    static void Walk<T>(T tree, ITreeVisitor visitor) => NodeOf(tree).Walk(tree, "", visitor);

    /// <summary>
    /// Throws a <see cref="TreeMismatchException"/> naming the first position at which two flattened trees differ
    /// in path or in a leaf's shape (for code that already holds the leaves, like optimizer stages).
    /// </summary>
    public static void CheckSameLeaves(IReadOnlyList<TreeLeaf> expected, IReadOnlyList<TreeLeaf> actual)
    {
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            if (i >= actual.Count) throw new TreeMismatchException(expected[i].Path, "a leaf", "no leaf (the tree ends earlier)");
            if (i >= expected.Count) throw new TreeMismatchException(actual[i].Path, "no leaf (the tree ends earlier)", "a leaf");
            if (expected[i].Path != actual[i].Path)
                throw new TreeMismatchException(expected[i].Path, $"a leaf at '{TreePath.Display(expected[i].Path)}'", $"'{TreePath.Display(actual[i].Path)}' there instead");
            if (!expected[i].Value.shape.SequenceEqual(actual[i].Value.shape))
                throw new TreeMismatchException(expected[i].Path, "shape " + Shapes.Format(expected[i].Value.shape), "shape " + Shapes.Format(actual[i].Value.shape));
        }
    }

    sealed class LeafCollector(bool wantsPaths) : ITreeVisitor
    {
        public List<TreeLeaf> Leaves { get; } = [];
        public List<torch.Tensor> Tensors { get; } = [];
        public bool WantsPaths => wantsPaths;

        public void Leaf(string path, torch.Tensor value)
        {
            if (wantsPaths) Leaves.Add(new TreeLeaf(path, value));
            else Tensors.Add(value);
        }

        public void Node(string path, object node) { }
    }

    sealed class ItemCollector : ITreeVisitor
    {
        public List<TreeItem> Items { get; } = [];
        public bool WantsPaths => true;

        public void Leaf(string path, torch.Tensor value) => Items.Add(new TreeItem(path, value));

        public void Node(string path, object node) => Items.Add(new TreeItem(path, node));
    }

    sealed class NodeFinder(object target) : ITreeVisitor
    {
        public string? Found { get; private set; }
        public bool WantsPaths => true;

        public void Leaf(string path, torch.Tensor value)
        {
            if (Found is null && ReferenceEquals(value, target)) Found = path;
        }

        public void Node(string path, object node)
        {
            if (Found is null && ReferenceEquals(node, target)) Found = path;
        }
    }
}
