using System.Text.RegularExpressions;
using Functional.PropertyTests.Docs;
using Xunit;

namespace Functional.PropertyTests.Readme;

/// <summary>
/// The code of README.md and the guides that a test runs stays the code the test runs: a fenced block preceded by
/// <c>&lt;!-- guarded-by: PATH --&gt;</c> has each of its lines (comments and indentation aside) in the file PATH, so
/// an edit of the text without its test, or of the test without its text, fails here.
/// </summary>
public sealed partial class DocsCodeTests
{
    static readonly string Root = DocsSite.RepositoryRoot();

    /// <summary>The guarded blocks of README.md and docs/articles: where each is, its guard file and its lines.</summary>
    public static IReadOnlyList<(string Where, string Guard, string[] Lines)> GuardedBlocks()
    {
        var documents = new[] { Path.Combine(Root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs", "articles"), "*.md").Order(StringComparer.Ordinal));
        var blocks = new List<(string, string, string[])>();
        foreach (var document in documents)
        {
            var lines = File.ReadAllLines(document);
            for (var i = 0; i < lines.Length; i++)
            {
                var marker = GuardMarker().Match(lines[i]);
                if (!marker.Success) continue;
                var where = $"{Path.GetRelativePath(Root, document)}:{i + 1}";
                Assert.True(i + 1 < lines.Length && lines[i + 1].StartsWith("```", StringComparison.Ordinal), $"{where}: a guarded-by marker must stand right before a fenced code block");
                var end = Array.FindIndex(lines, i + 2, line => line.StartsWith("```", StringComparison.Ordinal));
                Assert.True(end > 0, $"{where}: the code block never closes");
                blocks.Add((where, marker.Groups[1].Value, lines[(i + 2)..end]));
            }
        }
        return blocks;
    }

    [Fact]
    public void Every_guarded_code_block_is_in_the_test_that_runs_it_line_for_line()
    {
        var blocks = GuardedBlocks();
        // The examples that must stay guarded: the README's F# example and the tour, the optimizer pipeline, three ways.
        foreach (var guard in new[] { "FSharpTests/CoreFromFSharp.fs", "PropertyTests/Readme/ReadmeTourTests.cs", "PropertyTests/Readme/ThreeWaysTests.cs", "PropertyTests/Readme/ThreeWaysCore.cs", "FSharpExamples/ThreeWays.fs" })
            Assert.Contains(guard, blocks.Select(block => block.Guard));
        Assert.Contains(blocks, block => block.Where.StartsWith("README.md:", StringComparison.Ordinal));

        var drifted = new List<string>();
        foreach (var (where, guard, lines) in blocks)
        {
            var path = Path.Combine(Root, guard);
            Assert.True(File.Exists(path), $"{where}: the guard {guard} does not exist");
            var code = File.ReadAllLines(path).Select(Normalize).Where(line => line.Length > 0).ToArray();
            foreach (var line in lines.Select(Normalize).Where(line => line.Length > 0))
                if (!code.Any(candidate => candidate.Contains(line, StringComparison.Ordinal)))
                    drifted.Add($"{where} ({guard}): {line}");
        }
        Assert.True(drifted.Count == 0, "lines of the docs that their tests no longer hold:\n" + string.Join("\n", drifted));
    }

    [Fact]
    public void A_line_changed_in_the_text_is_found()
    {
        var (where, guard, lines) = GuardedBlocks().First(block =>
            block.Guard.EndsWith("ReadmeTourTests.cs", StringComparison.Ordinal) && block.Lines.Any(line => line.Contains("ToScalar", StringComparison.Ordinal)));
        var code = File.ReadAllLines(Path.Combine(Root, guard)).Select(Normalize).ToArray();
        var changed = lines.Select(Normalize).First(line => line.Contains("ToScalar", StringComparison.Ordinal)).Replace("0.05", "0.5", StringComparison.Ordinal);
        Assert.DoesNotContain(code, candidate => candidate.Contains(changed, StringComparison.Ordinal));
        Assert.NotEmpty(where);
    }

    /// <summary>A line without its trailing comment (C# and F# <c>//</c>), indentation and repeated spaces.</summary>
    static string Normalize(string line)
    {
        var comment = line.IndexOf("//", StringComparison.Ordinal);
        var code = comment >= 0 && !line[..comment].Contains('"') ? line[..comment] : line;
        return Spaces().Replace(code.Trim(), " ");
    }

    [GeneratedRegex(@"^<!-- guarded-by: (\S+) -->$")]
    private static partial Regex GuardMarker();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
