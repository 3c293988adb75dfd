using System.Text.RegularExpressions;
using Functional.PropertyTests.Docs;
using Xunit;

namespace Functional.PropertyTests.Readme;

/// <summary>
/// README.md stays a front door: short, the two commands first and verbatim, every link it has leads somewhere; and
/// each library package has a readme of its own (packed instead of the root README).
/// </summary>
public sealed partial class ReadmeFrontDoorTests
{
    static readonly string Root = DocsSite.RepositoryRoot();

    [Fact]
    public void The_readme_is_short_and_opens_with_the_two_commands()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "README.md"));
        Assert.True(lines.Length <= 250, $"README.md has {lines.Length} lines; the limit is 250 (guides go to docs/articles/).");
        var opening = lines.Take(8).ToArray();
        Assert.Contains("dotnet run --project Cli -c Release -- titles train --data ../shared/data/lcsts-part2-clge --out runs/titles --minutes 30", opening);
        Assert.Contains("dotnet test Functional.sln -c Release", opening);
    }

    [Fact]
    public void Every_relative_link_of_the_readme_and_the_package_readmes_names_a_file_that_exists()
    {
        var readmes = new[] { "README.md" }.Concat(PackableProjects().Select(project => Path.Combine(project, "README.md")));
        var broken = new List<string>();
        foreach (var readme in readmes.Where(path => File.Exists(Path.Combine(Root, path))))
            foreach (Match link in MarkdownLink().Matches(File.ReadAllText(Path.Combine(Root, readme))))
            {
                var target = link.Groups[1].Value.Split('#')[0];
                if (target.Length == 0 || target.Contains("://", StringComparison.Ordinal)) continue;
                var path = Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(readme)!, target));
                if (!File.Exists(path) && !Directory.Exists(path)) broken.Add($"{readme}: {target}");
            }
        Assert.True(broken.Count == 0, "links to nothing: " + string.Join(", ", broken));
    }

    [Fact]
    public void Every_library_package_has_a_readme_of_its_own()
    {
        var projects = PackableProjects().ToArray();
        Assert.Contains("Core.Functional", projects);
        var missing = projects.Where(project => !File.Exists(Path.Combine(Root, project, "README.md"))).ToArray();
        Assert.True(missing.Length == 0, "packages without a readme of their own: " + string.Join(", ", missing));
    }

    /// <summary>The folders of the projects that make packages: those that do not say IsPackable false.</summary>
    static IEnumerable<string> PackableProjects() =>
        Directory.GetDirectories(Root)
            .SelectMany(folder => Directory.GetFiles(folder, "*.csproj").Concat(Directory.GetFiles(folder, "*.fsproj")))
            .Where(project => !File.ReadAllText(project).Contains("<IsPackable>false</IsPackable>", StringComparison.Ordinal))
            .Select(project => Path.GetFileName(Path.GetDirectoryName(project)!))
            .Order(StringComparer.Ordinal);

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
