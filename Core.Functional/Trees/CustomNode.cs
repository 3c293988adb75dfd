using System.Reflection;

namespace Functional.Core;

/// <summary>The tree node of a record with <see cref="CustomTreeNodeAttribute"/>: delegates to its <see cref="ICustomTreeNode"/>.</summary>
internal sealed class CustomNode(ICustomTreeNode flattening) : TreeNode
{
    public override bool MayHoldTensors => true;

    /// <summary>The node of <paramref name="type"/> when it declares a custom flattening, else null.</summary>
    /// <exception cref="ArgumentException">The declared type is not an <see cref="ICustomTreeNode"/> with a parameterless constructor.</exception>
    public static CustomNode? For(Type type)
    {
        if (type.GetCustomAttribute<CustomTreeNodeAttribute>(inherit: false) is not { } declared) return null;
        var nodeType = declared.NodeType;
        if (!typeof(ICustomTreeNode).IsAssignableFrom(nodeType) || nodeType.IsAbstract
            || nodeType.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is null)
            throw new ArgumentException(
                $"Type {type.FullName} declares the custom tree node {nodeType.FullName}, which is not a concrete {nameof(ICustomTreeNode)} with a parameterless constructor.");
        return new CustomNode((ICustomTreeNode)Activator.CreateInstance(nodeType, nonPublic: true)!);
    }

    public override void Walk(object? value, string path, ITreeVisitor visitor)
    {
        if (value is null) return;
        visitor.Node(path, value);
        flattening.Flatten(value, new Sink(path, visitor));
    }

    public override object? Rebuild(object? template, LeafCursor leaves) => template is null ? null : flattening.Rebuild(template, leaves);

    sealed class Sink(string path, ITreeVisitor visitor) : ICustomTreeLeaves
    {
        public bool WantsNames => visitor.WantsPaths;

        public void Leaf(string name, TorchSharp.torch.Tensor value) => visitor.Leaf(visitor.WantsPaths ? TreePath.Join(path, name) : "", value);

        public void Inner(object node) => visitor.Node(path, node);
    }
}
