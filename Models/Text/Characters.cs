using System.Text;

namespace Functional.Models.Text;

/// <summary>Text as a sequence of characters: Unicode scalar values, so a character outside the BMP is one symbol.</summary>
public static class Characters
{
    /// <summary>The characters of <paramref name="text"/>, white space dropped.</summary>
    public static string[] Of(string text) =>
        text.EnumerateRunes().Where(rune => !Rune.IsWhiteSpace(rune)).Select(rune => rune.ToString()).ToArray();
}
