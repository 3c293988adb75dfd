using System.Text;

namespace Functional.Models.Titles;

/// <summary>
/// The lines of a corpus file, streamed: UTF-8 (a byte-order mark skipped, CR LF read as LF), each line at most a given
/// number of bytes, so a file that is not one record a line (a 1 GB line) is refused without being read into memory.
/// </summary>
internal static class CorpusLines
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Each line of <paramref name="path"/> with its 1-based number.</summary>
    /// <exception cref="InvalidDataException">A line is longer than <paramref name="maxLineBytes"/> or not valid UTF-8; the message names file and line.</exception>
    public static IEnumerable<(string Text, int Number)> Read(string path, int maxLineBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var chunk = new byte[1 << 16];
        var line = new byte[Math.Min(maxLineBytes, 1 << 16) + 1];
        var length = 0;
        var number = 1;
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            var start = 0;
            while (start < read)
            {
                var newline = Array.IndexOf(chunk, (byte)'\n', start, read - start);
                var end = newline < 0 ? read : newline;
                var count = end - start;
                if (length + count > maxLineBytes + 1) throw TooLong(path, number, maxLineBytes);
                if (length + count > line.Length) Array.Resize(ref line, Math.Min(maxLineBytes + 1, Math.Max(line.Length * 2, length + count)));
                Array.Copy(chunk, start, line, length, count);
                length += count;
                if (newline < 0) break;
                yield return (Decode(path, line, length, number, maxLineBytes), number);
                number++;
                length = 0;
                start = newline + 1;
            }
        }
        if (length > 0) yield return (Decode(path, line, length, number, maxLineBytes), number);
    }

    static string Decode(string path, byte[] line, int length, int number, int maxLineBytes)
    {
        if (length > 0 && line[length - 1] == '\r') length--;
        if (length > maxLineBytes) throw TooLong(path, number, maxLineBytes);
        var start = number == 1 && line.AsSpan(0, length).StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        try { return Strict.GetString(line, start, length - start); }
        catch (DecoderFallbackException error)
        {
            var at = error.Index >= 0 ? $" at byte {start + error.Index + 1} of the line" : "";
            var bytes = error.BytesUnknown is { Length: > 0 } unknown ? $" (0x{Convert.ToHexString(unknown)})" : "";
            throw new InvalidDataException($"{path} line {number}: not valid UTF-8{at}{bytes}. Save the file as UTF-8 (GBK or Latin-1 text must be converted first).", error);
        }
    }

    static InvalidDataException TooLong(string path, int number, int maxLineBytes) =>
        new($"{path} line {number}: longer than {maxLineBytes:N0} bytes, the longest line a corpus may have. " +
            "Each line must be one pair (title<TAB>content, or one JSON object); is this a corpus file?");
}
