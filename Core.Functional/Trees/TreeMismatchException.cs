namespace Functional.Core;

/// <summary>
/// Two trees that had to have the same structure do not: the message names the first path where they differ
/// and what each side has there.
/// </summary>
public sealed class TreeMismatchException : ArgumentException
{
    /// <summary>Creates the error for the first differing path.</summary>
    public TreeMismatchException(string path, string expected, string actual)
        : base($"Trees do not match at '{TreePath.Display(path)}': expected {expected}, got {actual}.")
    {
        Path = path;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The first path at which the trees differ.</summary>
    public string Path { get; }

    /// <summary>What the first (reference) tree has at <see cref="Path"/>.</summary>
    public string Expected { get; }

    /// <summary>What the second tree has at <see cref="Path"/>.</summary>
    public string Actual { get; }
}
