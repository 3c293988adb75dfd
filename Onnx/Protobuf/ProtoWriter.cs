using System.Text;

namespace Functional.Onnx;

/// <summary>
/// The protobuf wire format, as much as ONNX's messages need: varint fields (wire type 0), 32-bit floats (wire type 5)
/// and length-delimited fields (wire type 2: strings, bytes, nested messages, packed repeated integers).
/// </summary>
internal sealed class ProtoWriter
{
    readonly MemoryStream stream = new();

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => stream.ToArray();

    /// <summary>An integer field (int32, int64, enum, bool) as a varint; negative values as 10-byte two's complement.</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, 0);
        Varint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A float field.</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(bytes, value);
        if (!BitConverter.IsLittleEndian) bytes.Reverse();
        stream.Write(bytes);
        return this;
    }

    /// <summary>A string field (UTF-8).</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        stream.Write(value);
        return this;
    }

    /// <summary>A nested message field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>A packed repeated integer field.</summary>
    public ProtoWriter Packed(int field, IEnumerable<long> values)
    {
        var packed = new ProtoWriter();
        foreach (var value in values) packed.Varint(unchecked((ulong)value));
        return Bytes(field, packed.ToArray());
    }

    void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }
}
