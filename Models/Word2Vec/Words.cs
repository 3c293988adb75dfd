using System.Globalization;

namespace Functional.Models.Word2Vec;

/// <summary>Plain text as words: maximal runs of letters, lower-cased (invariant culture); everything else separates.</summary>
public static class Words
{
    /// <summary>The words of <paramref name="text"/> in order.</summary>
    public static string[] Of(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var letter = i < text.Length && char.IsLetter(text[i]);
            if (letter && start < 0) start = i;
            else if (!letter && start >= 0)
            {
                words.Add(text[start..i].ToLower(CultureInfo.InvariantCulture));
                start = -1;
            }
        }
        return words.ToArray();
    }
}
