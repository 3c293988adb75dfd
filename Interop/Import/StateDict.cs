using Functional.Core;
using TorchSharp;

namespace Functional.Interop;

/// <summary>
/// PyTorch state dicts into any parameter or model-state record, by name: the record's tree paths (property names, or
/// <see cref="TreeNameAttribute"/> segments such as <c>running_mean</c>) are the file's names with '/' for '.', after
/// the prefix and renaming rules of <see cref="ImportOptions"/>.
/// </summary>
public static class StateDict
{
    /// <summary>
    /// Opens a state-dict file by its form: <c>*.index.json</c> is a Hugging Face sharded safetensors index, a zip
    /// archive (<c>.pt</c>/<c>.pth</c>/<c>.bin</c> from <c>torch.save</c>) or the legacy torch.save pickle (refused with a
    /// message) is read by <see cref="PthFile"/>, anything else as one safetensors file (whose first 8 bytes are a header
    /// length, so no first byte is reserved for it: the zip and legacy magics are 4 bytes that no valid header length has).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed or refused; the message names it.</exception>
    public static IStateDictSource Open(string path)
    {
        if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) return ShardedSafeTensors.Open(path);
        Span<byte> magic = stackalloc byte[4];
        using (var stream = File.OpenRead(path))
            if (stream.Read(magic) == 4 && (magic.SequenceEqual("PK\u0003\u0004"u8) || magic.SequenceEqual(PthFile.LegacyMagic))) return PthFile.Open(path);
        return SafeTensorsFile.Open(path);
    }

    /// <summary>
    /// <paramref name="template"/> with its leaves replaced by the tensors of the file at <paramref name="path"/>
    /// (see <see cref="Load{T}(T, IStateDictSource, ImportOptions)"/>).
    /// </summary>
    public static ImportResult<T> Load<T>(T template, string path, ImportOptions options)
    {
        using var source = Open(path);
        return Load(template, source, options);
    }

    /// <summary>
    /// <paramref name="template"/> with its leaves replaced by the tensors of <paramref name="source"/> whose mapped names
    /// (<see cref="ImportOptions.PathOf"/>) are its tree paths, each cast to the leaf's dtype and moved to its device
    /// (as <c>load_state_dict</c> copies into the existing parameter), and the report of what matched.
    /// </summary>
    /// <remarks>
    /// Shapes are compared before any tensor is read. Strict: any missing, unexpected or shape-mismatched name refuses
    /// the load with an <see cref="InvalidDataException"/> naming the file and listing them all. Not strict: the record's
    /// own leaf stays (as a fresh alias) where the file has none or another shape. Pure: the template's tensors are never
    /// mutated or disposed, and the result holds fresh tensors.
    /// </remarks>
    /// <exception cref="InvalidDataException">Strict and the file does not match; two of the file's names map to one path; a stored tensor cannot be read.</exception>
    public static ImportResult<T> Load<T>(T template, IStateDictSource source, ImportOptions options)
    {
        var byPath = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var entry in source.Entries)
        {
            var path = options.PathOf(entry.Name);
            if (byPath.TryGetValue(path, out var other))
                throw new InvalidDataException($"{source.Source}: '{other.Name}' and '{entry.Name}' both map to the path '{path}'; change the prefix or renaming rules.");
            byPath[path] = entry;
        }
        var leaves = Tree.Flatten(template);
        var leafPaths = leaves.Select(l => l.Path).ToHashSet(StringComparer.Ordinal);
        var loaded = new List<string>();
        var toLoad = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        foreach (var leaf in leaves)
        {
            if (!byPath.TryGetValue(leaf.Path, out var stored)) missing.Add(leaf.Path);
            else if (!stored.Shape.SequenceEqual(leaf.Value.shape)) mismatched.Add(new(leaf.Path, stored.Name, stored.Shape, leaf.Value.shape));
            else { loaded.Add(leaf.Path); toLoad.Add(leaf.Path); }
        }
        var unexpected = byPath.Where(p => !leafPaths.Contains(p.Key)).Select(p => p.Value.Name).ToArray();
        var report = new ImportReport(source.Source, loaded, missing, unexpected, mismatched);
        if (options.Strict && !report.IsExact)
            throw new InvalidDataException($"The state dict does not match the record strictly (load with Strict = false to load what matches): {report.Describe()}");

        var results = new List<torch.Tensor>(leaves.Count);
        try
        {
            foreach (var leaf in leaves)
                results.Add(toLoad.Contains(leaf.Path) ? Read(source, byPath[leaf.Path].Name, leaf.Value) : leaf.Value.alias());
        }
        catch
        {
            foreach (var result in results) result.Dispose();
            throw;
        }
        return new ImportResult<T>(Tree.Unflatten(template, results), report);
    }

    static torch.Tensor Read(IStateDictSource source, string name, torch.Tensor like)
    {
        var raw = source.Load(name);
        if (raw.dtype == like.dtype && raw.device == like.device) return raw;
        using (raw) return raw.to(like.dtype, like.device);
    }
}
