using System.Buffers.Binary;
using System.Text;

namespace Functional.Reporting;

/// <summary>
/// A TensorBoard event file (<c>events.out.tfevents.*</c>) written directly: TFRecord framing (a little-endian uint64
/// length, the masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the data) around <c>tensorflow.Event</c>
/// protocol-buffer messages — first one with <c>file_version = "brain.Event:2"</c>, then one per scalar with
/// <c>wall_time</c> (seconds since 1970, fractional), <c>step</c> and <c>summary { value { tag, simple_value } }</c>.
/// </summary>
/// <remarks>
/// Why not TorchSharp's <c>SummaryWriter</c> (it works, on Google.Protobuf): in 0.107 it takes the step as an
/// <c>int</c> and the wall time as whole seconds, writes its first event's wall time in .NET ticks (TensorBoard's
/// relative time axis starts from that event), and opens the file for every scalar. Scalars need three fields of the
/// Event message; encoding them here is a few lines, and the test reads the file back with TorchSharp's generated
/// <c>Tensorboard.Event</c> parser.
/// </remarks>
public sealed class TensorBoardEventFile : IDisposable
{
    static int counter;
    readonly FileStream stream;

    /// <summary>
    /// Creates a new event file in <paramref name="logDirectory"/> (made if missing), named as TensorBoard expects:
    /// <c>events.out.tfevents.{seconds}.{host}.{process}.{n}</c>, and writes the file-version event.
    /// </summary>
    public TensorBoardEventFile(string logDirectory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(logDirectory);
        Directory.CreateDirectory(logDirectory);
        var name = $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref counter)}";
        Path = System.IO.Path.Combine(logDirectory, name);
        stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        WriteRecord(Event(WallTime(now), 0, Field(3, Encoding.UTF8.GetBytes("brain.Event:2"))));
        Flush();
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Appends one scalar event (<paramref name="value"/> is stored as a float, as TensorBoard's simple values are).</summary>
    public void Scalar(string tag, double value, long step, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var simpleValue = new byte[5];
        simpleValue[0] = (2 << 3) | 5; // field 2, fixed32
        BinaryPrimitives.WriteSingleLittleEndian(simpleValue.AsSpan(1), (float)value);
        var summaryValue = Field(1, Encoding.UTF8.GetBytes(tag)).Concat(simpleValue).ToArray();
        var summary = Field(1, summaryValue);
        WriteRecord(Event(WallTime(time), step, Field(5, summary)));
    }

    /// <summary>Writes what is buffered to the disk (TensorBoard reads the file while it grows).</summary>
    public void Flush() => stream.Flush(flushToDisk: false);

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => stream.Dispose();

    static double WallTime(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).TotalSeconds;

    /// <summary>An Event message: wall_time (field 1, double), step (field 2, int64) and the rest.</summary>
    static byte[] Event(double wallTime, long step, byte[] rest)
    {
        var message = new List<byte>(16 + rest.Length) { (1 << 3) | 1 };
        var time = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(time, wallTime);
        message.AddRange(time);
        if (step != 0)
        {
            message.Add((2 << 3) | 0);
            message.AddRange(Varint(unchecked((ulong)step)));
        }
        message.AddRange(rest);
        return message.ToArray();
    }

    /// <summary>A length-delimited field (wire type 2): a string, bytes or an embedded message.</summary>
    static byte[] Field(int number, byte[] content) => [.. Varint((ulong)((number << 3) | 2)), .. Varint((ulong)content.Length), .. content];

    static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>(10);
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return bytes.ToArray();
    }

    void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        stream.Write(header);
        stream.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        stream.Write(footer);
    }
}
