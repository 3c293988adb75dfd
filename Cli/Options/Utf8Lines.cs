using System.Text;

namespace Functional.Cli;

/// <summary>
/// The lines of a text file read as UTF-8 (a byte-order mark skipped), with every line that is not valid UTF-8 (text
/// in GBK, a binary file) reported by number and decoded with U+FFFD in place of its bad bytes.
/// </summary>
public static class Utf8Lines
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Each line of <paramref name="path"/> with its 1-based number; <paramref name="invalid"/> hears the numbers of lines that are not UTF-8.</summary>
    public static IEnumerable<(string Line, int Number)> Read(string path, Action<int> invalid)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        var number = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            var length = end - start;
            if (length > 0 && bytes[end - 1] == '\r') length--;
            number++;
            yield return (Decode(bytes.AsSpan(start, length).ToArray(), number, invalid), number);
            start = end + 1;
        }
    }

    static string Decode(byte[] line, int number, Action<int> invalid)
    {
        try { return Strict.GetString(line); }
        catch (DecoderFallbackException)
        {
            invalid(number);
            return Encoding.UTF8.GetString(line);
        }
    }
}
