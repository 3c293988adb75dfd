using TorchSharp;

namespace Functional.Core;

/// <summary>What a walk over a tree sees: every leaf in order, and every record on the way down.</summary>
internal interface ITreeVisitor
{
    /// <summary>False when the walk needs no path strings (saves building them).</summary>
    bool WantsPaths { get; }

    /// <summary>A tensor leaf at <paramref name="path"/> (empty when paths are not wanted).</summary>
    void Leaf(string path, torch.Tensor value);

    /// <summary>A record or list at <paramref name="path"/>, before its children.</summary>
    void Node(string path, object node);
}

/// <summary>Where <see cref="TreeNode.Rebuild"/> takes the new leaves from, in flatten order.</summary>
internal sealed class LeafCursor(IReadOnlyList<torch.Tensor> leaves) : ICustomTreeSource
{
    int position;

    public torch.Tensor Next() =>
        position < leaves.Count
            ? leaves[position++]
            : throw new ArgumentException($"Too few leaves: the tree needs more than the {leaves.Count} given.");

    public void CheckExhausted()
    {
        if (position != leaves.Count)
            throw new ArgumentException($"Too many leaves: the tree has {position} but {leaves.Count} were given.");
    }
}

/// <summary>
/// The compiled description of one type's place in a parameter tree. Built once per type by
/// <see cref="TreeNodes"/> and cached; a walk never uses reflection.
/// </summary>
internal abstract class TreeNode
{
    /// <summary>False for configuration values, which are carried over from the template on rebuild.</summary>
    public abstract bool MayHoldTensors { get; }

    /// <summary>Visits the leaves of <paramref name="value"/> in order.</summary>
    public abstract void Walk(object? value, string path, ITreeVisitor visitor);

    /// <summary>A value of the same structure as <paramref name="template"/> with the leaves taken in order from <paramref name="leaves"/>.</summary>
    public abstract object? Rebuild(object? template, LeafCursor leaves);
}

/// <summary>A tensor field: one leaf, or none when the field is null (an absent optional tensor).</summary>
internal sealed class TensorNode : TreeNode
{
    public static readonly TensorNode Instance = new();

    public override bool MayHoldTensors => true;

    public override void Walk(object? value, string path, ITreeVisitor visitor)
    {
        if (value is torch.Tensor tensor) visitor.Leaf(path, tensor);
    }

    public override object? Rebuild(object? template, LeafCursor leaves) => template is null ? null : leaves.Next();
}

/// <summary>Configuration (numbers, strings, enums, tensor-free records): no leaves; copied as is on rebuild.</summary>
internal sealed class StaticNode : TreeNode
{
    public static readonly StaticNode Instance = new();

    public override bool MayHoldTensors => false;

    public override void Walk(object? value, string path, ITreeVisitor visitor) { }

    public override object? Rebuild(object? template, LeafCursor leaves) => template;
}

/// <summary>A field declared as an interface, abstract class or object: resolved by the value's runtime type.</summary>
internal sealed class DynamicNode : TreeNode
{
    public static readonly DynamicNode Instance = new();

    public override bool MayHoldTensors => true;

    public override void Walk(object? value, string path, ITreeVisitor visitor)
    {
        if (value is not null) TreeNodes.For(value.GetType()).Walk(value, path, visitor);
    }

    public override object? Rebuild(object? template, LeafCursor leaves) =>
        template is null ? null : TreeNodes.For(template.GetType()).Rebuild(template, leaves);
}

/// <summary>One field of a record: its path segment, a compiled getter and the node of its declared type.</summary>
internal sealed record RecordField(string Segment, Func<object, object?> Get, TreeNode Node);

/// <summary>
/// An immutable record (C# positional record, F# record, or any class whose public constructor takes all its
/// public properties): its fields in constructor order, rebuilt through that constructor.
/// </summary>
internal sealed class RecordNode : TreeNode
{
    RecordField[] fields = [];
    Func<object?[], object> construct = _ => throw new InvalidOperationException("record node used before it was built");

    public void Complete(RecordField[] recordFields, Func<object?[], object> constructor)
    {
        fields = recordFields;
        construct = constructor;
    }

    public override bool MayHoldTensors => true;

    public override void Walk(object? value, string path, ITreeVisitor visitor)
    {
        if (value is null) return;
        visitor.Node(path, value);
        foreach (var field in fields)
            if (field.Node.MayHoldTensors)
                field.Node.Walk(field.Get(value), !visitor.WantsPaths ? "" : field.Segment.Length == 0 ? path : TreePath.Join(path, field.Segment), visitor);
    }

    public override object? Rebuild(object? template, LeafCursor leaves)
    {
        if (template is null) return null;
        var arguments = new object?[fields.Length];
        for (var i = 0; i < fields.Length; i++)
            arguments[i] = fields[i].Node.Rebuild(fields[i].Get(template), leaves);
        return construct(arguments);
    }
}

/// <summary>A list, array or F# list of subtrees; the path segment of an element is its index.</summary>
internal sealed class ListNode(TreeNode element, Func<object?[], object> build) : TreeNode
{
    public override bool MayHoldTensors => true;

    public override void Walk(object? value, string path, ITreeVisitor visitor)
    {
        if (value is not System.Collections.IEnumerable items) return;
        visitor.Node(path, value);
        var index = 0;
        foreach (var item in items)
            element.Walk(item, visitor.WantsPaths ? TreePath.Join(path, index++.ToString(System.Globalization.CultureInfo.InvariantCulture)) : "", visitor);
    }

    public override object? Rebuild(object? template, LeafCursor leaves)
    {
        if (template is not System.Collections.IEnumerable items) return template;
        var rebuilt = new List<object?>();
        foreach (var item in items) rebuilt.Add(element.Rebuild(item, leaves));
        return build(rebuilt.ToArray());
    }
}

/// <summary>An F# option of a subtree: <c>None</c> (null at run time) has no leaves; <c>Some x</c> has those of x, at the same path.</summary>
internal sealed class OptionNode(TreeNode inner, Func<object, object?> value, Func<object?, object> some) : TreeNode
{
    public override bool MayHoldTensors => true;

    public override void Walk(object? option, string path, ITreeVisitor visitor)
    {
        if (option is not null) inner.Walk(value(option), path, visitor);
    }

    public override object? Rebuild(object? template, LeafCursor leaves) =>
        template is null ? null : some(inner.Rebuild(value(template), leaves));
}
