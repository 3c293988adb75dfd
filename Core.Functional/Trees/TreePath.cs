namespace Functional.Core;

/// <summary>How tree paths are spelled: field names with a lower-case first letter, list indices, '/' between.</summary>
public static class TreePath
{
    /// <summary>The path of <paramref name="segment"/> under <paramref name="parent"/>.</summary>
    public static string Join(string parent, string segment) => parent.Length == 0 ? segment : parent + "/" + segment;

    /// <summary>The path segment of a record field: its name with the first letter in lower case (unless the field has a <see cref="TreeNameAttribute"/>).</summary>
    public static string FieldSegment(string fieldName) =>
        fieldName.Length == 0 || char.IsLower(fieldName[0]) ? fieldName : char.ToLowerInvariant(fieldName[0]) + fieldName[1..];

    /// <summary>A path as shown in messages: the empty root path reads <c>(root)</c>.</summary>
    public static string Display(string path) => path.Length == 0 ? "(root)" : path;
}
