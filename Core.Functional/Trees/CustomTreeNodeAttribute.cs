namespace Functional.Core;

/// <summary>
/// Gives a record its own flattening: the tree walks values of the record with a fresh instance of
/// <see cref="NodeType"/> (an <see cref="ICustomTreeNode"/> with a parameterless constructor, public or not) instead
/// of by its constructor fields. A layer whose leaves are named or ordered differently from its fields (an LSTM named
/// as PyTorch's state dict, say) declares this on its own record, in its own file: nothing in <c>Trees/</c> names it.
/// </summary>
/// <param name="nodeType">The flattening; it must implement <see cref="ICustomTreeNode"/> and have a parameterless constructor.</param>
/// <remarks>The attribute is read once per type, when the type is first walked; it is not inherited.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class CustomTreeNodeAttribute(Type nodeType) : Attribute
{
    /// <summary>The <see cref="ICustomTreeNode"/> type that walks and rebuilds the record.</summary>
    public Type NodeType { get; } = nodeType ?? throw new ArgumentNullException(nameof(nodeType));
}
