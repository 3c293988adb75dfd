using System.Text;
using System.Text.RegularExpressions;

namespace Functional.Optimizers;

/// <summary>
/// Glob patterns over tree paths (<c>encoder/layers/0/weight</c>): <c>*</c> matches within one path segment,
/// <c>**</c> matches any number of segments (including none), everything else literally. A pattern must match the
/// whole path: <c>**/bias</c> matches every bias, <c>encoder/**</c> everything under the encoder.
/// </summary>
public static class PathPattern
{
    static readonly Dictionary<string, Regex> Cache = new();

    /// <summary>Whether <paramref name="path"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string path)
    {
        Regex regex;
        lock (Cache)
        {
            if (!Cache.TryGetValue(pattern, out regex!)) Cache[pattern] = regex = Compile(pattern);
        }
        return regex.IsMatch(path);
    }

    static Regex Compile(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var builder = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slashAfter = i + 2 < pattern.Length && pattern[i + 2] == '/';
                builder.Append(slashAfter ? "(?:.*/)?" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else if (pattern[i] == '*') builder.Append("[^/]*");
            else builder.Append(Regex.Escape(pattern[i].ToString()));
        }
        return new Regex(builder.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
