using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace Functional.Interop;

/// <summary>
/// A safetensors file opened for reading by name: the header is parsed and checked when opened, and each tensor is
/// read on demand straight from the file into the tensor's memory, in chunks, at 64-bit offsets — no span of the whole
/// file, so files (and tensors) of 2 GB or more are read, and tensors that are not asked for are never read.
/// </summary>
/// <remarks>
/// Checked when opened: the header length (at most 100 MB, as the format's reference reader requires, and inside the
/// file), the header is a JSON object, each entry's dtype (one of <see cref="SafeTensorsDtypes.All"/>), shape and
/// <c>data_offsets</c> (inside the data, and exactly the shape's size). Every violation is an
/// <see cref="InvalidDataException"/> "not a valid model file: &lt;path&gt;: ..." naming the field. The checksum
/// metadata of the toolkit's own checkpoints is not verified here (that needs every byte; <c>TreeFile</c> and
/// <c>SafeTensors.Deserialize</c> in Training do it for checkpoints).
/// </remarks>
public sealed class SafeTensorsFile : IStateDictSource
{
    const long MaximumHeader = 100_000_000;
    const int Chunk = 16 << 20;

    readonly SafeFileHandle handle;
    readonly Dictionary<string, (StoredTensor Stored, SafeTensorsDtypes.Dtype Dtype, long Begin, long End)> byName;
    readonly long dataStart;

    SafeTensorsFile(string path, SafeFileHandle handle, long dataStart, List<(StoredTensor, SafeTensorsDtypes.Dtype, long, long)> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Source = path;
        this.handle = handle;
        this.dataStart = dataStart;
        byName = entries.ToDictionary(e => e.Item1.Name, e => e, StringComparer.Ordinal);
        Entries = entries.Select(e => e.Item1).ToArray();
        Metadata = metadata;
    }

    /// <inheritdoc/>
    public string Source { get; }

    /// <inheritdoc/>
    public IReadOnlyList<StoredTensor> Entries { get; }

    /// <summary>The header's free-form <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/> and checks its header.</summary>
    /// <exception cref="InvalidDataException">The header is malformed; the message names the file and the field.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static SafeTensorsFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var length = RandomAccess.GetLength(handle);
            if (length < 8) throw Bad(path, $"{length} bytes, too short for the header length");
            Span<byte> prefix = stackalloc byte[8];
            RandomAccess.Read(handle, prefix, 0);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaximumHeader) throw Bad(path, $"header length: {headerLength} bytes, more than the format's limit of {MaximumHeader}");
            if ((long)headerLength > length - 8) throw Bad(path, $"header length: the header claims {headerLength} bytes, the file has {length - 8} after the length (truncated?)");
            var headerBytes = new byte[headerLength];
            RandomAccess.Read(handle, headerBytes, 8);
            JsonObject header;
            try
            {
                header = JsonNode.Parse(headerBytes) as JsonObject ?? throw Bad(path, "header: not a JSON object");
            }
            catch (JsonException error)
            {
                throw Bad(path, $"header: not JSON ({error.Message})");
            }
            var dataStart = 8 + (long)headerLength;
            var dataLength = length - dataStart;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<(StoredTensor, SafeTensorsDtypes.Dtype, long, long)>();
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    if (node is not JsonObject fields) throw Bad(path, "__metadata__: not a JSON object of strings");
                    foreach (var (key, value) in fields)
                        metadata[key] = Text(value) ?? throw Bad(path, $"__metadata__ '{key}': not a string");
                    continue;
                }
                entries.Add(Entry(path, name, node, dataLength));
            }
            return new SafeTensorsFile(path, handle, dataStart, entries, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public unsafe torch.Tensor Load(string name)
    {
        if (!byName.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{Source} has no tensor '{name}'.");
        var (stored, dtype, begin, end) = entry;
        var tensor = torch.empty(stored.Shape, dtype: dtype.ReadAs);
        try
        {
            if (end == begin) return tensor;
            var destination = TensorMemory.Pointer(tensor);
            var elementsPerChunk = Chunk / dtype.Size;
            var raw = dtype.Native ? null : new byte[(long)elementsPerChunk * dtype.Size];
            var width = tensor.element_size();
            for (long element = 0, count = (end - begin) / dtype.Size; element < count; element += elementsPerChunk)
            {
                var elements = (int)Math.Min(elementsPerChunk, count - element);
                var fileOffset = dataStart + begin + element * dtype.Size;
                var target = new Span<byte>(destination + element * width, checked((int)(elements * width)));
                if (dtype.Native)
                    ReadExactly(target, fileOffset, name);
                else
                {
                    var bytes = raw.AsSpan(0, elements * dtype.Size);
                    ReadExactly(bytes, fileOffset, name);
                    SafeTensorsDtypes.Convert(dtype, bytes, target, Source, name);
                }
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    void ReadExactly(Span<byte> target, long offset, string name)
    {
        var done = 0;
        while (done < target.Length)
        {
            var read = RandomAccess.Read(handle, target[done..], offset + done);
            if (read == 0) throw Bad(Source, $"'{name}': the file ends at byte {offset + done}, inside the tensor's data (truncated)");
            done += read;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => handle.Dispose();

    static (StoredTensor, SafeTensorsDtypes.Dtype, long, long) Entry(string path, string name, JsonNode? node, long dataLength)
    {
        if (node is not JsonObject entry) throw Bad(path, $"'{name}': not a tensor entry (an object with dtype, shape and data_offsets)");
        var dtypeName = Text(entry["dtype"]) ?? throw Bad(path, $"'{name}' dtype: missing or not a string");
        var dtype = SafeTensorsDtypes.Find(dtypeName)
                    ?? throw Bad(path, $"'{name}' dtype: unknown dtype {dtypeName} (known: {string.Join(", ", SafeTensorsDtypes.All.Select(d => d.Name))})");
        var shape = Integers(entry["shape"]);
        if (shape is null || shape.Any(d => d < 0)) throw Bad(path, $"'{name}' shape: not an array of sizes ({entry["shape"]?.ToJsonString() ?? "missing"})");
        var offsets = Integers(entry["data_offsets"]);
        if (offsets is not { Length: 2 }) throw Bad(path, $"'{name}' data_offsets: not a pair of integers ({entry["data_offsets"]?.ToJsonString() ?? "missing"})");
        if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw Bad(path, $"'{name}' data_offsets: [{offsets[0]}, {offsets[1]}] outside the {dataLength} data bytes (truncated?)");
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.Size);
        }
        catch (OverflowException)
        {
            throw Bad(path, $"'{name}' shape: [{string.Join(", ", shape)}] is too large");
        }
        if (bytes != offsets[1] - offsets[0])
            throw Bad(path, $"'{name}' data_offsets: shape [{string.Join(", ", shape)}] and dtype {dtypeName} need {bytes} bytes, the range has {offsets[1] - offsets[0]}");
        return (new StoredTensor(name, dtypeName, shape), dtype, offsets[0], offsets[1]);
    }

    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    static long[]? Integers(JsonNode? node)
    {
        if (node is not JsonArray array) return null;
        var values = new long[array.Count];
        for (var i = 0; i < array.Count; i++)
            if (array[i] is not JsonValue value || !value.TryGetValue(out values[i]))
                return null;
        return values;
    }

    static InvalidDataException Bad(string source, string problem) => new($"not a valid model file: {source}: {problem}.");
}
