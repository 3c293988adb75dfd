using System.IO.Compression;
using TorchSharp;

namespace Functional.Interop;

/// <summary>
/// A <c>torch.save</c> file (<c>.pt</c>/<c>.pth</c>, the zip format of torch 1.6 and later, 1.13 and 2.x alike: a
/// folder with <c>data.pkl</c>, <c>data/&lt;key&gt;</c> per storage, and in 2.x <c>byteorder</c>) read as a state
/// dict by <see cref="SafeUnpickler"/>, which executes nothing and refuses every global but the tensor rebuilders.
/// </summary>
/// <remarks>
/// The pickle may hold a state dict (an OrderedDict of names to tensors) or dicts of them (a training checkpoint's
/// <c>{"model": state_dict, ...}</c>): nested names are joined with '.', and values that are not tensors (numbers,
/// strings) are left out. A storage is read when one of its tensors is loaded; a tensor whose view does not fit its
/// storage, a storage file of the wrong size, a truncated archive, a big-endian file or the pre-1.6 (non-zip) format are
/// refused with an <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public sealed class PthFile : IStateDictSource
{
    readonly ZipArchive archive;
    readonly string folder;
    readonly Dictionary<string, PickledTensor> tensors;

    PthFile(string path, ZipArchive archive, string folder, List<KeyValuePair<string, PickledTensor>> tensors)
    {
        Source = path;
        this.archive = archive;
        this.folder = folder;
        this.tensors = tensors.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        Entries = tensors.Select(p => new StoredTensor(p.Key, p.Value.Storage.Dtype, p.Value.Shape)).ToArray();
    }

    /// <summary>
    /// The first bytes of the legacy (pre-1.6) torch.save format: pickle protocol 2, then the LONG1 of its 10-byte magic number.
    /// </summary>
    public static ReadOnlySpan<byte> LegacyMagic => [0x80, 0x02, 0x8A, 0x0A];

    /// <inheritdoc/>
    public string Source { get; }

    /// <inheritdoc/>
    public IReadOnlyList<StoredTensor> Entries { get; }

    /// <summary>Opens <paramref name="path"/> and reads its pickle (not its storages).</summary>
    /// <exception cref="InvalidDataException">The file is not a readable torch.save archive, or its pickle is refused; the message names the file and why.</exception>
    public static PthFile Open(string path)
    {
        var stream = File.OpenRead(path);
        ZipArchive archive;
        try
        {
            Span<byte> magic = stackalloc byte[4];
            if (stream.Read(magic) == 4 && magic.SequenceEqual(LegacyMagic))
                throw Bad(path, "the legacy (pre-1.6, non-zip) torch.save format; load it in Python and save it again with a current torch");
            stream.Position = 0;
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException error) when (!error.Message.StartsWith("not a valid PyTorch file", StringComparison.Ordinal))
        {
            stream.Dispose();
            throw Bad(path, $"not a torch.save zip archive ({error.Message}; truncated?)");
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        try
        {
            var pickleEntry = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                              ?? throw Bad(path, "no <folder>/data.pkl in the archive (not a torch.save file)");
            var folder = pickleEntry.FullName[..^"data.pkl".Length];
            var byteOrder = archive.GetEntry(folder + "byteorder");
            if (byteOrder is not null && ReadAll(byteOrder, path) is var order && System.Text.Encoding.ASCII.GetString(order) != "little")
                throw Bad(path, $"byteorder '{System.Text.Encoding.ASCII.GetString(order)}': only little-endian files are read");
            var root = SafeUnpickler.Load(ReadAll(pickleEntry, path), path);
            var found = new List<KeyValuePair<string, PickledTensor>>();
            Collect(root, "", found, path);
            return new PthFile(path, archive, folder, found);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public unsafe torch.Tensor Load(string name)
    {
        if (!tensors.TryGetValue(name, out var pickled)) throw new KeyNotFoundException($"{Source} has no tensor '{name}'.");
        var (storage, offset, shape, strides) = pickled;
        var dtype = SafeTensorsDtypes.Find(storage.Dtype)!;
        var reach = offset + shape.Zip(strides, (size, stride) => size == 0 ? 0 : (size - 1) * stride).Sum();
        if (offset < 0 || strides.Any(s => s < 0) || (shape.All(s => s > 0) && reach >= storage.Elements) || shape.Any(s => s < 0))
            throw Bad(Source, $"'{name}': shape [{string.Join(", ", shape)}] with strides [{string.Join(", ", strides)}] at offset {offset} does not fit its storage of {storage.Elements} elements");
        var entry = archive.GetEntry(folder + "data/" + storage.Key) ?? throw Bad(Source, $"'{name}': its storage data/{storage.Key} is not in the archive");
        var bytes = ReadAll(entry, Source);
        if (bytes.LongLength != storage.Elements * dtype.Size)
            throw Bad(Source, $"'{name}': storage data/{storage.Key} has {bytes.LongLength} bytes, {storage.Elements} {storage.Dtype} elements need {storage.Elements * dtype.Size}");
        using var flat = torch.empty(storage.Elements, dtype: dtype.ReadAs);
        if (bytes.Length > 0) bytes.AsSpan().CopyTo(new Span<byte>(TensorMemory.Pointer(flat), bytes.Length));
        using var view = flat.as_strided(shape, strides, offset);
        var tensor = torch.empty(shape, dtype: dtype.ReadAs);
        tensor.copy_(view);
        return tensor;
    }

    /// <summary>Closes the archive.</summary>
    public void Dispose() => archive.Dispose();

    static void Collect(object? value, string prefix, List<KeyValuePair<string, PickledTensor>> found, string path)
    {
        switch (value)
        {
            case PickledTensor tensor:
                found.Add(new(prefix, tensor));
                break;
            case SafeUnpickler.PickledDict dict:
                foreach (var (key, item) in dict)
                    if (key is string text) Collect(item, prefix.Length == 0 ? text : $"{prefix}.{text}", found, path);
                break;
        }
    }

    static byte[] ReadAll(ZipArchiveEntry entry, string path)
    {
        try
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (InvalidDataException error)
        {
            throw Bad(path, $"{entry.FullName}: {error.Message} (truncated or damaged)");
        }
    }

    static InvalidDataException Bad(string source, string problem) => new($"not a valid PyTorch file: {source}: {problem}.");
}
