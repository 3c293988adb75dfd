namespace Functional.Interop;

/// <summary>A leaf whose stored shape differs from the record's.</summary>
/// <param name="Path">The record's tree path.</param>
/// <param name="FileName">The tensor's name in the file.</param>
/// <param name="InFile">Its shape in the file.</param>
/// <param name="InRecord">Its shape in the record.</param>
public sealed record ShapeMismatch(string Path, string FileName, long[] InFile, long[] InRecord)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path} ('{FileName}' is [{string.Join(", ", InFile)}] in the file, [{string.Join(", ", InRecord)}] in the record)";
}

/// <summary>What a load matched, and what it did not.</summary>
/// <param name="Source">The file read.</param>
/// <param name="Loaded">The tree paths loaded from the file, in the record's order.</param>
/// <param name="Missing">The record's tree paths the file has no tensor for (kept from the record when not strict).</param>
/// <param name="Unexpected">The file's names (as written there) that map to no leaf of the record.</param>
/// <param name="Mismatched">The leaves whose shapes differ (kept from the record when not strict).</param>
public sealed record ImportReport(string Source, IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<ShapeMismatch> Mismatched)
{
    /// <summary>True when every leaf was loaded and every tensor of the file was used.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <summary>The differences, one kind a line, for messages and logs.</summary>
    public string Describe() =>
        $"{Source}: loaded {Loaded.Count}; missing {List(Missing)}; unexpected {List(Unexpected)}; shape mismatched {List(Mismatched.Select(m => m.ToString()).ToArray())}.";

    static string List(IReadOnlyList<string> items) => items.Count == 0 ? "none" : $"{items.Count} ({string.Join(", ", items)})";
}

/// <summary>The loaded record and the report of the load.</summary>
/// <param name="Value">The record with the file's tensors (fresh tensors on the record's devices, in the record's dtypes).</param>
/// <param name="Report">What matched and what did not.</param>
/// <typeparam name="T">The record type.</typeparam>
public sealed record ImportResult<T>(T Value, ImportReport Report);
