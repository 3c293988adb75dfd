using System.Globalization;

namespace Functional.Models.Text;

/// <summary>
/// Maps characters to ids for a character-level model. Ids 0-3 are reserved: 0 padding, 1 unknown, 2 start,
/// 3 end; the characters follow in order of decreasing count (ties by ordinal order), so a vocabulary built
/// from the same texts is always the same.
/// </summary>
public sealed class CharacterVocabulary
{
    /// <summary>Padding: positions that hold no character.</summary>
    public const int Padding = 0;

    /// <summary>Any character not in the vocabulary.</summary>
    public const int Unknown = 1;

    /// <summary>Starts a decoded sequence.</summary>
    public const int Start = 2;

    /// <summary>Ends a sequence.</summary>
    public const int End = 3;

    const int Reserved = 4;

    readonly string[] characters;
    readonly Dictionary<string, int> ids;

    CharacterVocabulary(string[] characters)
    {
        this.characters = characters;
        ids = characters.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i + Reserved, StringComparer.Ordinal);
    }

    /// <summary>The number of ids, reserved ones included.</summary>
    public int Size => characters.Length + Reserved;

    /// <summary>The characters that occur at least <paramref name="minimumCount"/> times in <paramref name="texts"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumCount"/> is below 1.</exception>
    public static CharacterVocabulary Build(IEnumerable<string> texts, int minimumCount)
    {
        if (minimumCount < 1) throw new ArgumentOutOfRangeException(nameof(minimumCount), minimumCount, "The minimum count must be at least 1.");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var character in Characters.Of(text))
                counts[character] = counts.GetValueOrDefault(character) + 1;
        return new(counts.Where(p => p.Value >= minimumCount)
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key).ToArray());
    }

    /// <summary>The id of each character of <paramref name="text"/> (white space dropped); unknown ones are <see cref="Unknown"/>.</summary>
    public int[] Encode(string text) => Characters.Of(text).Select(c => ids.GetValueOrDefault(c, Unknown)).ToArray();

    /// <summary>What an unknown id without a source reads as.</summary>
    public const string UnknownText = "□";

    /// <summary>The text of <paramref name="ids"/> up to the first <see cref="End"/>; padding and start are skipped, unknown reads as '□'.</summary>
    public string Decode(IEnumerable<int> ids) => Decode(ids, [], []);

    /// <summary>
    /// The text of <paramref name="ids"/> as <see cref="Decode(IEnumerable{int})"/> gives it, except that the i-th
    /// <see cref="Unknown"/> (before the first <see cref="End"/>) reads as <c>articleCharacters[unknownSources[i]]</c>:
    /// the article character it was copied from. An unknown whose source is -1, or that has none (fewer sources than
    /// unknowns), reads as '□'. <paramref name="articleCharacters"/> are the article's characters aligned with the ids
    /// the model read (<see cref="Characters.Of"/>, cut as the ids were).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary, or a source is below -1 or not a position of <paramref name="articleCharacters"/>.</exception>
    public string Decode(IEnumerable<int> ids, IReadOnlyList<int> unknownSources, IReadOnlyList<string> articleCharacters)
    {
        var text = new System.Text.StringBuilder();
        var unknowns = 0;
        foreach (var id in ids.TakeWhile(id => id != End))
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
            else throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is outside the vocabulary (size {Size}).");
        }
        return text.ToString();
    }

    /// <summary>
    /// The SHA-256 (lowercase hex) of the vocabulary's content: its characters in id order as <see cref="Save"/> writes
    /// them, each line ended by a line feed whatever the platform writes. Two vocabularies have the same checksum exactly
    /// when they map every character to the same id, so a model file or a run folder that records it detects a vocabulary
    /// file that was truncated, edited or swapped.
    /// </summary>
    public string Sha256 =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Concat(characters.Select(c => EscapeLine(c) + "\n")))));

    /// <summary>The first id at which this vocabulary and <paramref name="other"/> differ, described ("id 9 is 'a' here and 'b' there"), or null when they are equal.</summary>
    public string? FirstDifference(CharacterVocabulary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < Math.Max(characters.Length, other.characters.Length); i++)
        {
            var mine = i < characters.Length ? $"'{EscapeLine(characters[i])}'" : "past the end";
            var theirs = i < other.characters.Length ? $"'{EscapeLine(other.characters[i])}'" : "past the end";
            if (mine != theirs) return string.Create(CultureInfo.InvariantCulture, $"id {i + Reserved} is {mine} in the first and {theirs} in the second");
        }
        return null;
    }

    /// <summary>Whether this vocabulary's characters, in id order, begin the characters of <paramref name="longer"/>, which has more (what a truncated file of <paramref name="longer"/> reads as).</summary>
    public bool IsPrefixOf(CharacterVocabulary longer)
    {
        ArgumentNullException.ThrowIfNull(longer);
        return characters.Length < longer.characters.Length && characters.SequenceEqual(longer.characters.Take(characters.Length), StringComparer.Ordinal);
    }

    /// <summary>Writes the vocabulary as UTF-8 text, one character per line in id order (ids 4, 5, ...), atomically (<see cref="Functional.Training.AtomicFile"/>).</summary>
    public void Save(string path) => Functional.Training.AtomicFile.WriteAllText(path, string.Concat(characters.Select(c => EscapeLine(c) + Environment.NewLine)));

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">
    /// A line is not valid UTF-8, is not a single character (or a <c>\uXXXX</c> escape of one), or a character appears
    /// twice: the message names the file and the line.
    /// </exception>
    public static CharacterVocabulary Load(string path)
    {
        var loaded = ReadLines(path).Select((line, i) => UnescapeLine(line, path, i + 1)).ToArray();
        var duplicate = loaded.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{path}: the character '{duplicate.Key}' appears twice.");
        return new(loaded);
    }

    // A line holds one character; the rare control characters are written as \uXXXX so that every line is one line.
    static string EscapeLine(string character) =>
        character.Length == 1 && (char.IsControl(character[0]) || character[0] == '\\')
            ? "\\u" + ((int)character[0]).ToString("x4", CultureInfo.InvariantCulture)
            : character;

    static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The lines of <paramref name="path"/> as <see cref="File.ReadAllLines(string)"/> splits a saved vocabulary, decoded strictly: a line that is not UTF-8 is an error naming the file and line, never U+FFFD.</summary>
    static IEnumerable<string> ReadLines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith(System.Text.Encoding.UTF8.Preamble) ? System.Text.Encoding.UTF8.Preamble.Length : 0;
        for (var number = 1; start < bytes.Length; number++)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            var line = bytes.AsSpan(start, end - start);
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            string text;
            try { text = StrictUtf8.GetString(line); }
            catch (System.Text.DecoderFallbackException error)
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
