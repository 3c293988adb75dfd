using System.Buffers;
using System.Text;

namespace Functional.Cli;

/// <summary>
/// The lines of a text file read as UTF-8 (a byte-order mark skipped), streamed: memory holds one line (at most a cap of
/// bytes), never the file. Every line that is not valid UTF-8 (text in GBK, a binary file) is reported by number and
/// decoded with U+FFFD in place of its bad bytes; a line longer than the cap is an error naming the file and line.
/// </summary>
public static class Utf8Lines
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    const int BufferSize = 1 << 16;

    /// <summary>
    /// Each line of <paramref name="path"/> with its 1-based number, read lazily as the sequence is enumerated;
    /// <paramref name="invalid"/> hears the numbers of lines that are not UTF-8. A line ends at '\n' (a '\r' before it
    /// is dropped); a last line without one counts, an empty end after the last '\n' does not.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A line holds more than <paramref name="maxLineBytes"/> bytes (thrown when the enumeration reaches it): the message
    /// names the file, the line and the cap.
    /// </exception>
    public static IEnumerable<(string Line, int Number)> Read(string path, Action<int> invalid, int maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        return Lines(path, invalid, maxLineBytes);
    }

    /// <summary>The number of lines <see cref="Read"/> gives for <paramref name="path"/>, counted in one streamed pass.</summary>
    public static int Count(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        var buffer = new byte[BufferSize];
        var (count, pending, first) = (0, false, true);
        for (int read; (read = stream.Read(buffer)) > 0;)
        {
            var span = buffer.AsSpan(0, read);
            if (first && span.StartsWith(Encoding.UTF8.Preamble)) span = span[Encoding.UTF8.Preamble.Length..];
            first = false;
            var ends = span.Count((byte)'\n');
            count += ends;
            pending = ends == 0 ? pending || span.Length > 0 : span[^1] != '\n';
        }
        return pending ? count + 1 : count;
    }

    static IEnumerable<(string Line, int Number)> Lines(string path, Action<int> invalid, int maxLineBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        var buffer = new byte[BufferSize];
        var line = new ArrayBufferWriter<byte>();
        var (number, first) = (0, true);
        for (int read; (read = stream.Read(buffer)) > 0;)
        {
            var start = 0;
            if (first && buffer.AsSpan(0, read).StartsWith(Encoding.UTF8.Preamble)) start = Encoding.UTF8.Preamble.Length;
            first = false;
            while (start < read)
            {
                var end = Array.IndexOf(buffer, (byte)'\n', start, read - start);
                var piece = buffer.AsSpan(start, (end < 0 ? read : end) - start);
                if (line.WrittenCount + piece.Length > maxLineBytes)
                    throw new InvalidDataException($"{path} line {number + 1}: longer than {maxLineBytes:N0} bytes, the most a line may hold; is it one article per line?");
                line.Write(piece);
                if (end < 0) break;
                number++;
                yield return (Decode(line.WrittenSpan, number, invalid), number);
                line.ResetWrittenCount();
                start = end + 1;
            }
        }
        if (line.WrittenCount > 0) yield return (Decode(line.WrittenSpan, ++number, invalid), number);
    }

    static string Decode(ReadOnlySpan<byte> line, int number, Action<int> invalid)
    {
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        try { return Strict.GetString(line); }
        catch (DecoderFallbackException)
        {
            invalid(number);
            return Encoding.UTF8.GetString(line);
        }
    }
}
