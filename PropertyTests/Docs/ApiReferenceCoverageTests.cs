using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Functional.PropertyTests.Docs;

/// <summary>The docs site's API reference covers every C# package the repository packs.</summary>
public sealed partial class ApiReferenceCoverageTests
{
    [Fact]
    public void Every_packed_csharp_project_is_in_the_api_reference()
    {
        var root = DocsSite.RepositoryRoot();
        // Packed: a C# project at the root that does not say IsPackable false (Directory.Build.props packs the rest).
        var packed = Directory.GetDirectories(root)
            .SelectMany(folder => Directory.GetFiles(folder, "*.csproj"))
            .Where(project => !NotPackable().IsMatch(File.ReadAllText(project)))
            .Select(project => Path.GetRelativePath(root, project).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        using var docfx = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "docs", "docfx.json")));
        var documented = docfx.RootElement.GetProperty("metadata").EnumerateArray()
            .SelectMany(metadata => metadata.GetProperty("src").EnumerateArray())
            .SelectMany(source => source.GetProperty("files").EnumerateArray().Select(file => file.GetString()!))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(packed.Length >= 5, $"Found only {packed.Length} packed projects under {root}: {string.Join(", ", packed)}");
        var missing = packed.Where(project => !documented.Contains(project)).ToArray();
        Assert.True(missing.Length == 0, $"Packed but not in docs/docfx.json's API metadata: {string.Join(", ", missing)}");
    }

    [GeneratedRegex(@"<IsPackable>\s*false\s*</IsPackable>", RegexOptions.IgnoreCase)]
    private static partial Regex NotPackable();
}
