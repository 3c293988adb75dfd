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

    /// <summary>The text of <paramref name="ids"/> up to the first <see cref="End"/>; padding and start are skipped, unknown reads as '□'.</summary>
    public string Decode(IEnumerable<int> ids) =>
        string.Concat(ids.TakeWhile(id => id != End).Where(id => id is not (Padding or Start)).Select(id =>
            id == Unknown ? "□" : id >= Reserved && id < Size ? characters[id - Reserved] : throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is outside the vocabulary (size {Size}).")));

    /// <summary>Writes the vocabulary as UTF-8 text, one character per line in id order (ids 4, 5, ...), atomically (<see cref="Functional.Training.AtomicFile"/>).</summary>
    public void Save(string path) => Functional.Training.AtomicFile.WriteAllText(path, string.Concat(characters.Select(c => EscapeLine(c) + Environment.NewLine)));

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">A line is not a single character, or a character appears twice.</exception>
    public static CharacterVocabulary Load(string path)
    {
        var loaded = File.ReadAllLines(path).Select((line, i) => UnescapeLine(line, path, i + 1)).ToArray();
        var duplicate = loaded.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{path}: the character '{duplicate.Key}' appears twice.");
        return new(loaded);
    }

    // A line holds one character; the rare control characters are written as \uXXXX so that every line is one line.
    static string EscapeLine(string character) =>
        character.Length == 1 && (char.IsControl(character[0]) || character[0] == '\\')
            ? "\\u" + ((int)character[0]).ToString("x4", CultureInfo.InvariantCulture)
            : character;

    static string UnescapeLine(string line, string path, int number)
    {
        var character = line.StartsWith("\\u", StringComparison.Ordinal) && line.Length == 6
            ? ((char)int.Parse(line.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString()
            : line;
        return character.EnumerateRunes().Count() == 1
            ? character
            : throw new InvalidDataException($"{path} line {number}: expected one character, got '{line}'.");
    }
}
