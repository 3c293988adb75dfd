using System.Text.RegularExpressions;

namespace Functional.Interop;

/// <summary>
/// A renaming of tree paths ('/'-separated, after the file's '.' became '/' and the prefix was applied), as a glob or a
/// regular expression matched against the whole path.
/// </summary>
/// <param name="Pattern">
/// The glob (<c>*</c> matches within one segment, <c>**</c> across segments; <c>bn1/*</c>) or the .NET regular
/// expression (anchored to the whole path).
/// </param>
/// <param name="Replacement">
/// For a glob, the new path with each <c>*</c>/<c>**</c> standing for what the pattern's wildcard of the same position
/// matched (<c>firstNorm/*</c>); for a regular expression, a .NET replacement (<c>$1</c>, <c>${name}</c>).
/// </param>
/// <param name="IsRegex">True for a regular expression, false for a glob.</param>
public sealed record RenameRule(string Pattern, string Replacement, bool IsRegex)
{
    readonly Regex regex = Compile(Pattern, IsRegex);
    readonly string replacement = IsRegex ? Replacement : GlobReplacement(Replacement);

    /// <summary>A glob rule: <c>Glob("bn1/*", "firstNorm/*")</c>.</summary>
    public static RenameRule Glob(string pattern, string replacement) => new(pattern, replacement, false);

    /// <summary>A regular-expression rule: <c>Regex(@"layers\.(\d+)", "blocks/$1")</c>.</summary>
    public static RenameRule Regex(string pattern, string replacement) => new(pattern, replacement, true);

    /// <summary>The renamed path, or null when <paramref name="path"/> does not match.</summary>
    public string? Apply(string path)
    {
        var match = regex.Match(path);
        return match.Success ? match.Result(replacement) : null;
    }

    /// <summary>The rule as it was written, for reports.</summary>
    public override string ToString() => $"{(IsRegex ? "regex" : "glob")} '{Pattern}' -> '{Replacement}'";

    static Regex Compile(string pattern, bool isRegex)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        try
        {
            return new Regex(isRegex ? $"^(?:{pattern})$" : GlobRegex(pattern), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException error)
        {
            throw new ArgumentException($"The renaming pattern '{pattern}' is not a valid regular expression: {error.Message}", nameof(pattern), error);
        }
    }

    static string GlobRegex(string glob)
    {
        var builder = new System.Text.StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] != '*') builder.Append(System.Text.RegularExpressions.Regex.Escape(glob[i].ToString()));
            else if (i + 1 < glob.Length && glob[i + 1] == '*') { builder.Append("(.*)"); i++; }
            else builder.Append("([^/]*)");
        }
        return builder.Append('$').ToString();
    }

    static string GlobReplacement(string replacement)
    {
        var builder = new System.Text.StringBuilder();
        var group = 0;
        for (var i = 0; i < replacement.Length; i++)
        {
            if (replacement[i] == '*')
            {
                if (i + 1 < replacement.Length && replacement[i + 1] == '*') i++;
                builder.Append($"${{{++group}}}");
            }
            else if (replacement[i] == '$') builder.Append("$$");
            else builder.Append(replacement[i]);
        }
        return builder.ToString();
    }
}
