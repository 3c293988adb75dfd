using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Functional.Inference.Titles;

/// <summary>
/// The character vocabulary of an exported title model, read from its <c>vocabulary.txt</c> exactly as the training
/// side's <c>CharacterVocabulary</c> reads and writes it: ids 0–3 reserved (padding, unknown, start, end), then one
/// character (a Unicode scalar value, or a <c>\uXXXX</c> escape of a control character or backslash) per line.
/// </summary>
public sealed class TitleVocabulary
{
    /// <summary>Padding: positions that hold no character.</summary>
    public const int Padding = 0;

    /// <summary>Any character not in the vocabulary.</summary>
    public const int Unknown = 1;

    /// <summary>Starts a decoded sequence.</summary>
    public const int Start = 2;

    /// <summary>Ends a sequence.</summary>
    public const int End = 3;

    /// <summary>What an unknown id without a source reads as.</summary>
    public const string UnknownText = "□";

    const int Reserved = 4;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    readonly string[] characters;
    readonly Dictionary<string, int> ids;

    TitleVocabulary(string[] characters)
    {
        this.characters = characters;
        ids = characters.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i + Reserved, StringComparer.Ordinal);
    }

    /// <summary>The number of ids, reserved ones included.</summary>
    public int Size => characters.Length + Reserved;

    /// <summary>
    /// The SHA-256 (lowercase hex) of the characters in id order, each followed by a line feed: the checksum the model
    /// file recorded at training, so a vocabulary file that was edited, truncated or swapped is detected.
    /// </summary>
    public string Sha256 =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(characters.Select(c => EscapeLine(c) + "\n")))));

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">A line is not valid UTF-8, not one character, or a character appears twice: the message names the file and line.</exception>
    public static TitleVocabulary Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No vocabulary at '{path}'.", path);
        var loaded = ReadLines(path).Select((line, i) => UnescapeLine(line, path, i + 1)).ToArray();
        var duplicate = loaded.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{path}: the character '{duplicate.Key}' appears twice.");
        return new(loaded);
    }

    /// <summary>The characters of <paramref name="text"/> as the model reads them: Unicode scalar values, white space dropped.</summary>
    public static string[] Characters(string text) =>
        text.EnumerateRunes().Where(rune => !Rune.IsWhiteSpace(rune)).Select(rune => rune.ToString()).ToArray();

    /// <summary>The id of each character of <paramref name="text"/> (white space dropped); unknown ones are <see cref="Unknown"/>.</summary>
    public int[] Encode(string text) => Characters(text).Select(c => ids.GetValueOrDefault(c, Unknown)).ToArray();

    /// <summary>
    /// The text of <paramref name="titleIds"/> up to the first <see cref="End"/> (padding and start skipped): the i-th
    /// <see cref="Unknown"/> reads as <c>articleCharacters[unknownSources[i]]</c>, the article character it was copied
    /// from, or '□' when its source is -1 or missing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary, or a source is below -1 or past the article's characters.</exception>
    public string Decode(IEnumerable<int> titleIds, IReadOnlyList<int> unknownSources, IReadOnlyList<string> articleCharacters)
    {
        var text = new StringBuilder();
        var unknowns = 0;
        foreach (var id in titleIds.TakeWhile(id => id != End))
        {
            if (id is Padding or Start) continue;
            if (id == Unknown)
            {
                var source = unknowns < unknownSources.Count ? unknownSources[unknowns] : -1;
                unknowns++;
                if (source < -1 || source >= articleCharacters.Count)
                    throw new ArgumentOutOfRangeException(nameof(unknownSources), source, $"Unknown source {source} is not a position of the article's {articleCharacters.Count} characters (nor -1).");
                text.Append(source == -1 ? UnknownText : articleCharacters[source]);
            }
            else if (id >= Reserved && id < Size) text.Append(characters[id - Reserved]);
            else throw new ArgumentOutOfRangeException(nameof(titleIds), id, $"Id {id} is outside the vocabulary (size {Size}).");
        }
        return text.ToString();
    }

    static string EscapeLine(string character) =>
        character.Length == 1 && (char.IsControl(character[0]) || character[0] == '\\')
            ? "\\u" + ((int)character[0]).ToString("x4", CultureInfo.InvariantCulture)
            : character;

    static IEnumerable<string> ReadLines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        for (var number = 1; start < bytes.Length; number++)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            var line = bytes.AsSpan(start, end - start);
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            string text;
            try { text = StrictUtf8.GetString(line); }
            catch (DecoderFallbackException error)
            {
                throw new InvalidDataException($"{path} line {number}: not valid UTF-8 (the file is damaged or was saved in another encoding).", error);
            }
            yield return text;
            start = end + 1;
        }
    }

    static string UnescapeLine(string line, string path, int number)
    {
        var escaped = line.StartsWith("\\u", StringComparison.Ordinal) && line.Length == 6;
        if (escaped && !int.TryParse(line.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _))
            throw new InvalidDataException($"{path} line {number}: '{line}' is not an escape \\uXXXX of four hexadecimal digits.");
        var character = escaped
            ? ((char)int.Parse(line.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)).ToString()
            : line;
        return character.EnumerateRunes().Count() == 1
            ? character
            : throw new InvalidDataException($"{path} line {number}: expected one character, got '{line}'.");
    }
}
