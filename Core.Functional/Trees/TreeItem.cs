namespace Functional.Core;

/// <summary>
/// One thing a walk over a tree meets (<see cref="Tree.Items{T}"/>): a record or list on the way down, or a leaf tensor.
/// </summary>
/// <param name="Path">Its path (<see cref="TreePath"/>): a record's own path, a leaf's path; empty for the root.</param>
/// <param name="Value">The record, list or tensor itself, not a copy.</param>
public sealed record TreeItem(string Path, object Value);
