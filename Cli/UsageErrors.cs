using System.CommandLine;
using System.CommandLine.Parsing;

namespace Functional.Cli;

/// <summary>
/// The lines printed for a command line that does not parse: each error once, a "did you mean" for each unknown word
/// that is close to an option or command of the command it was given to, and where the help is; never the whole help page.
/// </summary>
public static class UsageErrors
{
    /// <summary>The lines that explain <paramref name="parsed"/>'s errors, ending with where its help is.</summary>
    public static IReadOnlyList<string> Lines(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var lines = new List<string>();
        foreach (var error in parsed.Errors)
        {
            var missingCommand = error.SymbolResult is CommandResult && command.Subcommands.Count > 0 && command.Action is null && error.Message.StartsWith("Required command", StringComparison.Ordinal);
            if (missingCommand && parsed.UnmatchedTokens.Count > 0) continue; // the unknown word's own line says more
            var line = missingCommand
                ? $"'{Path(parsed)}' needs a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}."
                : Suggest(error.Message, parsed, command);
            if (!lines.Contains(line)) lines.Add(line);
        }
        lines.Add($"See '{Path(parsed)} --help'.");
        return lines;
    }

    /// <summary>The names of the command's parsed path, from the program's name (<c>Functional.Cli titles train</c>).</summary>
    public static string Path(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as CommandResult)
            names.Add(result.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Flags renamed when the command line moved to System.CommandLine: (command path, old flag) to the new flag and why.</summary>
    public static IReadOnlyDictionary<(string Command, string Flag), string> Renamed { get; } = new Dictionary<(string, string), string>
    {
        [("gan train", "--max-minutes")] = "--minutes (0: no budget)",
        [("gan train", "--resume")] = "nothing: gan train resumes by itself; --restart starts over",
        [("titles attention", "--out")] = "--png FILE (--out is always a folder)",
        [("word2vec train", "--out")] = "--vectors FILE (--out is always a folder)",
    };

    static string Suggest(string message, ParseResult parsed, Command command)
    {
        var unknown = parsed.UnmatchedTokens.FirstOrDefault(token => message.Contains($"'{token}'", StringComparison.Ordinal));
        if (unknown is null) return message;
        var path = Path(parsed);
        var commandPath = path.Contains(' ', StringComparison.Ordinal) ? path[(path.IndexOf(' ', StringComparison.Ordinal) + 1)..] : "";
        if (Renamed.TryGetValue((commandPath, unknown), out var renamed)) return $"{message} {unknown} is now {renamed}.";
        var names = unknown.StartsWith('-')
            ? command.Options.Concat(parsed.RootCommandResult.Command.Options.Where(o => o.Recursive)).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Select(c => c.Name);
        var best = names.Distinct().Select(name => (name, distance: Distance(unknown.TrimStart('-'), name.TrimStart('-'))))
            .Where(c => c.distance <= Math.Max(1, c.name.TrimStart('-').Length / 3) || Contains(unknown, c.name)).OrderBy(c => c.distance).ThenBy(c => c.name, StringComparer.Ordinal).ToArray();
        return best.Length == 0 ? message : $"{message} Did you mean '{best[0].name}'?";
    }

    /// <summary>Whether one name holds the other (<c>--max-minutes</c> and <c>--minutes</c>), ignoring dashes; names of two letters or fewer never match this way.</summary>
    static bool Contains(string word, string name)
    {
        var (a, b) = (word.TrimStart('-'), name.TrimStart('-'));
        return a.Length > 2 && b.Length > 2 && (a.Contains(b, StringComparison.Ordinal) || b.Contains(a, StringComparison.Ordinal));
    }

    /// <summary>The edit distance (insertions, deletions, substitutions) between two words.</summary>
    static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
