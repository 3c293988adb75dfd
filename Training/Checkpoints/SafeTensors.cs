using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;

namespace Functional.Training;

/// <summary>A named tensor as stored in a safetensors file.</summary>
/// <param name="Name">Its key in the file (a tree path such as <c>encoder/inner/weight</c>).</param>
/// <param name="Value">The tensor (CPU on read).</param>
public sealed record NamedTensor(string Name, torch.Tensor Value);

/// <summary>The content of a safetensors file.</summary>
/// <param name="Tensors">The tensors in file order (sorted by name, as the format's writers do).</param>
/// <param name="Metadata">The free-form string metadata of the header (without <see cref="SafeTensors.ChecksumKey"/>).</param>
public sealed record SafeTensorsContent(IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>
    /// The file's own SHA-256 (<see cref="SafeTensors.ChecksumKey"/>), verified when read; null for a file written
    /// without one (by Python's <c>safetensors</c>, or by this toolkit before it wrote checksums).
    /// </summary>
    public string? Checksum { get; init; }
}

/// <summary>
/// The safetensors format (readable by Python's <c>safetensors</c> package): an 8-byte little-endian header
/// length, a JSON header mapping each name to its dtype, shape and byte range (plus <c>__metadata__</c>), padded
/// with spaces to a multiple of 8, then the raw little-endian data of each tensor, contiguous, in header order.
/// </summary>
/// <remarks>
/// Files written here carry their own checksum: the metadata entry <see cref="ChecksumKey"/> holds the SHA-256 of the
/// canonical header (every tensor's name, dtype, shape and range, and every other metadata entry, sorted) followed by
/// the data bytes, so a flipped bit anywhere but in the padding is found on read. Reading checks it when present;
/// every malformed field is an <see cref="InvalidDataException"/> "not a valid model file: &lt;source&gt;: ..." naming it.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The metadata key of the file's SHA-256 (lowercase hex).</summary>
    public const string ChecksumKey = "sha256";

    const string MetadataKey = "__metadata__";

    /// <summary>Each dtype the format names, with its name there and its size in bytes.</summary>
    static readonly (torch.ScalarType Type, string Name, int Size)[] Dtypes =
    [
        (torch.ScalarType.Float64, "F64", 8), (torch.ScalarType.Float32, "F32", 4), (torch.ScalarType.Float16, "F16", 2),
        (torch.ScalarType.BFloat16, "BF16", 2), (torch.ScalarType.Int64, "I64", 8), (torch.ScalarType.Int32, "I32", 4),
        (torch.ScalarType.Int16, "I16", 2), (torch.ScalarType.Int8, "I8", 1), (torch.ScalarType.Byte, "U8", 1), (torch.ScalarType.Bool, "BOOL", 1),
    ];

    /// <summary>One tensor's header entry.</summary>
    sealed record Entry(string Name, string Dtype, long[] Shape, long Begin, long End);

    /// <summary>
    /// The bytes of a safetensors file holding <paramref name="tensors"/> and <paramref name="metadata"/>, with its
    /// SHA-256 added to the metadata under <see cref="ChecksumKey"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Two tensors share a name, a dtype has no safetensors name, or the metadata already has <see cref="ChecksumKey"/>.</exception>
    public static byte[] Serialize(IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.ContainsKey(ChecksumKey)) throw new ArgumentException($"The metadata key '{ChecksumKey}' is the file's checksum; the writer adds it.", nameof(metadata));
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        var duplicate = sorted.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two tensors are named '{duplicate.Key}'.", nameof(tensors));

        // Every temporary (detached handles, host copies) is disposed by this scope, never left to a finalizer that could free
        // it on its own thread while a native call still reads it (issue 31: a SIGSEGV in libtorch_cpu.so under GC pressure).
        using var scope = torch.NewDisposeScope();
        var entries = new List<Entry>();
        var data = new List<byte[]>();
        long offset = 0;
        foreach (var (name, value) in sorted)
        {
            var dtype = Dtypes.FirstOrDefault(d => d.Type == value.dtype).Name
                        ?? throw new ArgumentException($"'{name}' has dtype {value.dtype}, which safetensors cannot hold.", nameof(tensors));
            using var cpu = value.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            entries.Add(new Entry(name, dtype, value.shape.ToArray(), offset, offset + bytes.Length));
            data.Add(bytes);
            offset += bytes.Length;
        }
        var payload = new byte[offset];
        var at = 0;
        foreach (var bytes in data)
        {
            bytes.CopyTo(payload, at);
            at += bytes.Length;
        }
        var checksum = Checksum(entries, metadata, payload);
        var json = Encoding.UTF8.GetBytes(Header(entries, new Dictionary<string, string>(metadata) { [ChecksumKey] = checksum }, sortMetadata: false).ToJsonString());
        var headerLength = (json.Length + 7) / 8 * 8;
        var file = new byte[8 + headerLength + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerLength);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, headerLength - json.Length).Fill((byte)' ');
        payload.CopyTo(file, 8 + headerLength);
        return file;
    }

    /// <summary>Reads the bytes of a safetensors file, checking its checksum when it has one.</summary>
    /// <param name="file">The file's bytes.</param>
    /// <param name="source">The file's path (or another name for it), for messages.</param>
    /// <exception cref="InvalidDataException">
    /// The bytes are not a well-formed safetensors file, or do not match their checksum: "not a valid model file:
    /// <paramref name="source"/>: ..." naming the field that is wrong.
    /// </exception>
    public static SafeTensorsContent Deserialize(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < 8) throw Bad(source, $"{file.Length} bytes, too short for the header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8)) throw Bad(source, $"header length: the header claims {headerLength} bytes, the file has {file.Length - 8} after the length");
        JsonObject header;
        try
        {
            // Duplicate keys first: JsonObject would throw a bare ArgumentException ("An item with the same key has already
            // been added") naming neither the file nor where the key is.
            using (var document = JsonDocument.Parse(file.Slice(8, (int)headerLength).ToArray()))
                if (DuplicateKey(document.RootElement, "header") is { } duplicate) throw Bad(source, duplicate);
            header = JsonNode.Parse(file.Slice(8, (int)headerLength)) as JsonObject ?? throw Bad(source, "header: not a JSON object");
        }
        catch (JsonException error)
        {
            throw Bad(source, $"header: not JSON ({error.Message})");
        }
        var data = file[(8 + (int)headerLength)..];
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == MetadataKey)
            {
                if (node is not JsonObject fields) throw Bad(source, $"{MetadataKey}: not a JSON object of strings");
                foreach (var (key, value) in fields)
                    metadata[key] = Text(value) ?? throw Bad(source, $"{MetadataKey} '{key}': not a string ({value?.ToJsonString() ?? "null"})");
                continue;
            }
            entries.Add(Read(name, node, data.Length, source));
        }
        string? checksum = null;
        if (metadata.Remove(ChecksumKey, out var stored))
        {
            checksum = Checksum(entries, metadata, data);
            if (checksum != stored)
                throw Bad(source, $"{ChecksumKey}: the content's SHA-256 is {checksum}, the file says {stored} (the file is damaged)");
        }
        var tensors = new List<NamedTensor>();
        foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var tensor = torch.empty(entry.Shape, dtype: Dtypes.First(d => d.Name == entry.Dtype).Type);
            if (entry.End > entry.Begin) tensor.bytes = data[(int)entry.Begin..(int)entry.End].ToArray();
            tensors.Add(new NamedTensor(entry.Name, tensor));
        }
        return new SafeTensorsContent(tensors, metadata) { Checksum = checksum };
    }

    static Entry Read(string name, JsonNode? node, int dataLength, string source)
    {
        if (node is not JsonObject entry) throw Bad(source, $"'{name}': not a tensor entry (an object with dtype, shape and data_offsets)");
        var dtype = Text(entry["dtype"]) ?? throw Bad(source, $"'{name}' dtype: missing or not a string ({entry["dtype"]?.ToJsonString() ?? "missing"})");
        var elementSize = Dtypes.FirstOrDefault(d => d.Name == dtype).Size;
        if (elementSize == 0) throw Bad(source, $"'{name}' dtype: unknown dtype {dtype} (known: {string.Join(", ", Dtypes.Select(d => d.Name))})");
        var shape = Integers(entry["shape"]);
        if (shape is null || shape.Any(d => d < 0))
            throw Bad(source, $"'{name}' shape: not an array of sizes ({entry["shape"]?.ToJsonString() ?? "missing"})");
        var offsets = Integers(entry["data_offsets"]);
        if (offsets is not { Length: 2 })
            throw Bad(source, $"'{name}' data_offsets: not a pair of integers ({entry["data_offsets"]?.ToJsonString() ?? "missing"})");
        if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw Bad(source, $"'{name}' data_offsets: [{offsets[0]}, {offsets[1]}] outside the {dataLength} data bytes");
        long count;
        try
        {
            count = checked(shape.Aggregate(1L, (a, b) => a * b) * elementSize);
        }
        catch (OverflowException)
        {
            throw Bad(source, $"'{name}' shape: [{string.Join(", ", shape)}] is too large");
        }
        if (count != offsets[1] - offsets[0])
            throw Bad(source, $"'{name}' data_offsets: shape [{string.Join(", ", shape)}] and dtype {dtype} need {count} bytes, the range has {offsets[1] - offsets[0]}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
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

    static JsonObject Header(IEnumerable<Entry> entries, IReadOnlyDictionary<string, string> metadata, bool sortMetadata)
    {
        var header = new JsonObject();
        var pairs = sortMetadata ? metadata.OrderBy(p => p.Key, StringComparer.Ordinal) : metadata.AsEnumerable();
        if (metadata.Count > 0) header[MetadataKey] = new JsonObject(pairs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            header[entry.Name] = new JsonObject
            {
                ["dtype"] = entry.Dtype,
                ["shape"] = new JsonArray(entry.Shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(entry.Begin, entry.End),
            };
        return header;
    }

    /// <summary>SHA-256 of the canonical header (entries and metadata sorted, no checksum) followed by the data bytes.</summary>
    static string Checksum(IEnumerable<Entry> entries, IReadOnlyDictionary<string, string> metadata, ReadOnlySpan<byte> data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(Header(entries, metadata, sortMetadata: true).ToJsonString()));
        hash.AppendData(data);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Where a JSON object under <paramref name="element"/> holds a key twice ("header 'w': the key 'dtype' appears twice"), or null.</summary>
    static string? DuplicateKey(JsonElement element, string where)
    {
        if (element.ValueKind == JsonValueKind.Array)
            return element.EnumerateArray().Select((item, i) => DuplicateKey(item, $"{where}[{i}]")).FirstOrDefault(found => found is not null);
        if (element.ValueKind != JsonValueKind.Object) return null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name)) return $"{where}: the key '{property.Name}' appears twice";
            if (DuplicateKey(property.Value, where == "header" ? $"header '{property.Name}'" : $"{where} '{property.Name}'") is { } found) return found;
        }
        return null;
    }

    static InvalidDataException Bad(string source, string problem) => new($"not a valid model file: {source}: {problem}.");
}
