using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Functional.PropertyTests.Interop;

/// <summary>One tensor of a hand-made safetensors file: any dtype name, shape and raw bytes.</summary>
public sealed record RawTensor(string Name, string Dtype, long[] Shape, byte[] Data);

/// <summary>Writes safetensors files byte by byte, for dtypes our writer does not produce and for doctored files.</summary>
public static class RawSafeTensors
{
    /// <summary>The file's bytes: length, JSON header padded with spaces to 8, data in the given order.</summary>
    public static byte[] Bytes(params RawTensor[] tensors)
    {
        var header = new JsonObject();
        long offset = 0;
        foreach (var tensor in tensors)
        {
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = tensor.Dtype,
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + tensor.Data.Length),
            };
            offset += tensor.Data.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var length = (json.Length + 7) / 8 * 8;
        var file = new byte[8 + length + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)length);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, length - json.Length).Fill((byte)' ');
        var at = 8 + length;
        foreach (var tensor in tensors)
        {
            tensor.Data.CopyTo(file, at);
            at += tensor.Data.Length;
        }
        return file;
    }

    /// <summary>A fresh temporary file path with the given extension (the caller deletes it).</summary>
    public static string TemporaryPath(string extension) => Path.Combine(Path.GetTempPath(), $"interop-{Guid.NewGuid():N}{extension}");
}
