namespace Functional.Core;

/// <summary>
/// The path segment of a record field when it is not the field's name with a lower-case first letter: for names a
/// state dict of another framework expects (<c>running_mean</c> for PyTorch's batch-norm buffer). On a positional
/// record, put it on the property: <c>[property: TreeName("running_mean")] Tensor RunningMean</c>.
/// </summary>
/// <param name="segment">The segment: not empty, no '/'.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class TreeNameAttribute(string segment) : Attribute
{
    /// <summary>The path segment.</summary>
    /// <exception cref="ArgumentException">The segment is empty or contains '/'.</exception>
    public string Segment { get; } = string.IsNullOrEmpty(segment) || segment.Contains('/')
        ? throw new ArgumentException($"A tree name must be a non-empty path segment without '/', got '{segment}'.", nameof(segment))
        : segment;
}
