namespace Functional.Core;

/// <summary>
/// A record field that adds no path segment: the leaves of its subtree are named directly under the record's own path.
/// For a record that only wraps a list, such as an optimizer chain's state (<c>0/mu/encoder/weight</c> rather than
/// <c>states/0/mu/encoder/weight</c>). On a positional record, put it on the property: <c>[property: TreeInline]</c>.
/// </summary>
/// <remarks>Only the one field of a record that may hold tensors can be inlined (otherwise paths could collide); another is refused when the type is first walked.</remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class TreeInlineAttribute : Attribute;
