using SkiaSharp;
using Xunit;

namespace Functional.PropertyTests.Docs;

/// <summary>
/// The built docs site (<c>tools/build-docs.sh</c> writes it to <c>docs/_site</c>) opened in headless Chromium: a
/// guide and an API page render, with their heading in their text, a screenshot that is not blank, and no console
/// error, uncaught exception or failed load.
/// </summary>
public sealed class DocsSiteTests
{
    /// <summary>The pages opened, with the heading each must show.</summary>
    public static readonly (string Page, string Heading)[] Pages =
    [
        ("articles/tour.html", "A tour"),
        ("articles/install.html", "Installing the packages"),
        ("api/Functional.Core.Tree.html", "Class Tree"),
        ("api/Functional.Inference.Titles.OnnxTitleModel.html", "Class OnnxTitleModel"),
    ];

    [DocsSiteFact]
    public void Pages_of_the_built_site_render_in_headless_chromium_without_errors()
    {
        Assert.True(HeadlessChromium.Executable is not null, "No chromium on the PATH: apt-get install chromium (.ci/run installs it).");
        Assert.True(File.Exists(Path.Combine(DocsSite.Folder, "index.html")),
            $"No built docs site in {DocsSite.Folder}: run tools/build-docs.sh (.ci/run does, before the tests).");
        var screenshots = Directory.CreateTempSubdirectory("functional-docs-screenshots-").FullName;
        try
        {
            using var site = new StaticSite(DocsSite.Folder);
            using var browser = new HeadlessChromium();
            foreach (var (page, heading) in Pages)
            {
                var visit = browser.Visit(new Uri(site.Address, page));
                Assert.True(visit.Errors.Count == 0, $"{page}: {string.Join("; ", visit.Errors)}");
                Assert.Equal(heading, visit.Heading);
                Assert.Contains(heading, visit.Text, StringComparison.Ordinal);

                var file = Path.Combine(screenshots, page.Replace('/', '_') + ".png");
                File.WriteAllBytes(file, visit.Screenshot);
                using var image = SKBitmap.Decode(file);
                Assert.True(image is not null, $"{page}: the screenshot {file} is not a PNG");
                Assert.True(image.Width == 1280 && image.Height >= 600, $"{page}: the screenshot is {image.Width} x {image.Height}, not the 1280-wide window");
                var (share, colours) = Ink(image);
                Assert.True(share > 0.01 && colours > 8,
                    $"{page}: the screenshot is blank ({share:P2} of the pixels differ from the background, {colours} colours)");
            }
            Assert.True(site.NotFound.Count == 0, $"paths the pages asked for and the site lacks: {string.Join(", ", site.NotFound)}");
        }
        finally
        {
            Directory.Delete(screenshots, recursive: true);
        }
    }

    /// <summary>The share of pixels that differ from the most common colour (the background), and how many colours there are.</summary>
    static (double Share, int Colours) Ink(SKBitmap image)
    {
        var counts = new Dictionary<SKColor, int>();
        for (var y = 0; y < image.Height; y += 2)
            for (var x = 0; x < image.Width; x += 2)
            {
                var colour = image.GetPixel(x, y);
                counts[colour] = counts.GetValueOrDefault(colour) + 1;
            }
        var total = counts.Values.Sum();
        return (1.0 - (double)counts.Values.Max() / total, counts.Count);
    }
}

/// <summary>Where the built docs site is: <c>docs/_site</c> under the repository root.</summary>
public static class DocsSite
{
    /// <summary>The site's folder (it may not exist).</summary>
    public static string Folder { get; } = Path.Combine(RepositoryRoot(), "docs", "_site");

    /// <summary>The repository root: the folder above the test binaries that holds Functional.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Functional.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"No Functional.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>
/// A fact that needs Chromium and the built docs site: skipped, with the reason, when either is missing outside CI;
/// under CI (<c>CI=true</c>) it always runs, so a CI that installed no chromium or built no site fails instead of passing.
/// </summary>
public sealed class DocsSiteFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when chromium or the site is missing and this is not CI.</summary>
    public DocsSiteFactAttribute()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) return;
        if (HeadlessChromium.Executable is null)
            Skip = "No chromium on the PATH (Debian: apt-get install chromium). Under CI=true this test runs and fails instead.";
        else if (!File.Exists(Path.Combine(DocsSite.Folder, "index.html")))
            Skip = $"No built docs site in {DocsSite.Folder} (run tools/build-docs.sh). Under CI=true this test runs and fails instead.";
    }
}
