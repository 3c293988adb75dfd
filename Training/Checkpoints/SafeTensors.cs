using System.Buffers.Binary;
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
/// <param name="Metadata">The free-form string metadata of the header.</param>
public sealed record SafeTensorsContent(IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The safetensors format (readable by Python's <c>safetensors</c> package): an 8-byte little-endian header
/// length, a JSON header mapping each name to its dtype, shape and byte range (plus <c>__metadata__</c>), padded
/// with spaces to a multiple of 8, then the raw little-endian data of each tensor, contiguous, in header order.
/// </summary>
public static class SafeTensors
{
    /// <summary>Each dtype the format names, with its name there and its size in bytes.</summary>
    static readonly (torch.ScalarType Type, string Name, int Size)[] Dtypes =
    [
        (torch.ScalarType.Float64, "F64", 8), (torch.ScalarType.Float32, "F32", 4), (torch.ScalarType.Float16, "F16", 2),
        (torch.ScalarType.BFloat16, "BF16", 2), (torch.ScalarType.Int64, "I64", 8), (torch.ScalarType.Int32, "I32", 4),
        (torch.ScalarType.Int16, "I16", 2), (torch.ScalarType.Int8, "I8", 1), (torch.ScalarType.Byte, "U8", 1), (torch.ScalarType.Bool, "BOOL", 1),
    ];

    /// <summary>The bytes of a safetensors file holding <paramref name="tensors"/> and <paramref name="metadata"/>.</summary>
    /// <exception cref="ArgumentException">Two tensors share a name, or a dtype has no safetensors name.</exception>
    public static byte[] Serialize(IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        var duplicate = sorted.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two tensors are named '{duplicate.Key}'.", nameof(tensors));

        var header = new JsonObject();
        if (metadata.Count > 0) header["__metadata__"] = new JsonObject(metadata.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        var data = new List<byte[]>();
        long offset = 0;
        foreach (var (name, value) in sorted)
        {
            var dtype = Dtypes.FirstOrDefault(d => d.Type == value.dtype).Name
                        ?? throw new ArgumentException($"'{name}' has dtype {value.dtype}, which safetensors cannot hold.", nameof(tensors));
            using var cpu = value.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(value.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            data.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var headerLength = (json.Length + 7) / 8 * 8;
        var file = new byte[8 + headerLength + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerLength);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, headerLength - json.Length).Fill((byte)' ');
        var at = 8 + headerLength;
        foreach (var bytes in data)
        {
            bytes.CopyTo(file, at);
            at += bytes.Length;
        }
        return file;
    }

    /// <summary>Reads the bytes of a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed safetensors file; the message says what is wrong.</exception>
    public static SafeTensorsContent Deserialize(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < 8) throw Bad(source, $"{file.Length} bytes, too short for the header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8)) throw Bad(source, $"the header claims {headerLength} bytes, the file has {file.Length - 8} after the length");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(file.Slice(8, (int)headerLength))?.AsObject() ?? throw Bad(source, "the header is not a JSON object");
        }
        catch (JsonException error)
        {
            throw Bad(source, $"the header is not JSON ({error.Message})");
        }
        var data = file[(8 + (int)headerLength)..];
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<NamedTensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (key, value) in node!.AsObject()) metadata[key] = value!.GetValue<string>();
                continue;
            }
            var entry = node!.AsObject();
            var dtypeName = entry["dtype"]!.GetValue<string>();
            var (dtype, _, elementSize) = Dtypes.FirstOrDefault(d => d.Name == dtypeName);
            if (elementSize == 0) throw Bad(source, $"'{name}' has the unknown dtype {dtypeName}");
            var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = entry["data_offsets"]!.AsArray().Select(o => o!.GetValue<long>()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
                throw Bad(source, $"'{name}' has data offsets [{string.Join(", ", offsets)}] outside the {data.Length} data bytes");
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (count * elementSize != offsets[1] - offsets[0])
                throw Bad(source, $"'{name}' of shape [{string.Join(", ", shape)}] and dtype {dtypeName} needs {count * elementSize} bytes, its range has {offsets[1] - offsets[0]}");
            var tensor = torch.empty(shape, dtype: dtype);
            if (count > 0) tensor.bytes = data[(int)offsets[0]..(int)offsets[1]].ToArray();
            tensors.Add(new NamedTensor(name, tensor));
        }
        return new SafeTensorsContent(tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray(), metadata);
    }

    static InvalidDataException Bad(string source, string problem) => new($"{source} is not a valid safetensors file: {problem}.");
}
