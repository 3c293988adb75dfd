using TorchSharp;

namespace Functional.Core;

/// <summary>
/// The flattening of a record that declares <see cref="CustomTreeNodeAttribute"/>: its leaves in order, each named
/// relative to the record's own path, and the record rebuilt from new leaves in the same order. Implement it as a
/// small class (or an F# object expression type) beside the record.
/// </summary>
/// <remarks>
/// Contract: <see cref="Rebuild"/> takes from <c>leaves</c> exactly as many tensors as <see cref="Flatten"/> reports
/// for the template, in the same order, and keeps the template's configuration and structure; neither method copies,
/// mutates or disposes a tensor. The names must be unique within the record (they are joined to its path with '/').
/// </remarks>
public interface ICustomTreeNode
{
    /// <summary>Reports the leaves of <paramref name="value"/> in order to <paramref name="leaves"/>.</summary>
    /// <param name="value">A non-null value of the record type.</param>
    /// <param name="leaves">Where the leaves go (and, optionally, the inner records, for path look-ups).</param>
    void Flatten(object value, ICustomTreeLeaves leaves);

    /// <summary>A value with the structure and configuration of <paramref name="template"/> whose tensors are taken in order from <paramref name="leaves"/>.</summary>
    /// <param name="template">A non-null value of the record type.</param>
    /// <param name="leaves">The new leaves, in flatten order; take exactly as many as <see cref="Flatten"/> reports for the template.</param>
    object Rebuild(object template, ICustomTreeSource leaves);
}

/// <summary>Where an <see cref="ICustomTreeNode"/> reports its leaves.</summary>
public interface ICustomTreeLeaves
{
    /// <summary>False when the walk builds no paths: the names given to <see cref="Leaf"/> are then ignored and may be empty.</summary>
    bool WantsNames { get; }

    /// <summary>A leaf named <paramref name="name"/> (one or more '/'-joined segments) below the record's path.</summary>
    void Leaf(string name, torch.Tensor value);

    /// <summary>An inner record or list the flattening passes through (reported at the record's own path, so look-ups by reference find it); optional.</summary>
    void Inner(object node);
}

/// <summary>The new leaves an <see cref="ICustomTreeNode"/> rebuilds from, in flatten order.</summary>
public interface ICustomTreeSource
{
    /// <summary>The next leaf.</summary>
    /// <exception cref="ArgumentException">No leaf is left (fewer leaves were given than the tree needs).</exception>
    torch.Tensor Next();
}
