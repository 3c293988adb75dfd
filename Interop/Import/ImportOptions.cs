namespace Functional.Interop;

/// <summary>
/// How a file's names become a record's tree paths, and whether every name must match. A name is mapped in this
/// order: PyTorch's '.' becomes '/' (<c>encoder.weight_ih_l0</c> → <c>encoder/weight_ih_l0</c>; our own files already
/// use '/'), <see cref="StripPrefix"/> is removed (a name without it is left as it is), <see cref="AddPrefix"/> is put
/// in front, then the first of <see cref="Renames"/> that matches renames it.
/// </summary>
/// <param name="StripPrefix">A path prefix to remove (<c>module/</c> of <c>nn.DataParallel</c>), or empty.</param>
/// <param name="AddPrefix">A path prefix to add (<c>encoder/</c> to load a sub-module's file into a larger record), or empty.</param>
/// <param name="Renames">Renaming rules, tried in order; the first that matches applies.</param>
/// <param name="Strict">
/// True: every leaf of the record must be in the file with its shape and every tensor of the file must be a leaf,
/// otherwise nothing is loaded and an <see cref="InvalidDataException"/> lists the differences. False: what matches is
/// loaded, the rest of the record keeps its values, and the report says what did not match.
/// </param>
public sealed record ImportOptions(string StripPrefix, string AddPrefix, IReadOnlyList<RenameRule> Renames, bool Strict)
{
    /// <summary>Strict, no prefix, no renaming: PyTorch's <c>load_state_dict(strict=True)</c>.</summary>
    public static ImportOptions Default { get; } = new("", "", [], true);

    /// <summary>The tree path a file's <paramref name="name"/> maps to.</summary>
    public string PathOf(string name)
    {
        var path = name.Replace('.', '/');
        if (StripPrefix.Length > 0 && path.StartsWith(StripPrefix, StringComparison.Ordinal)) path = path[StripPrefix.Length..];
        path = AddPrefix + path;
        foreach (var rule in Renames)
            if (rule.Apply(path) is { } renamed) return renamed;
        return path;
    }
}
