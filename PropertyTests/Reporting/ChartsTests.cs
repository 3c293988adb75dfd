using SkiaSharp;
using Xunit;
using Functional.Reporting;

namespace Functional.PropertyTests.Reporting;

public sealed class ChartsTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("charts").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_line_chart_is_a_png_of_the_requested_size()
    {
        var path = Path.Combine(folder, "loss.png");

        Charts.Lines(path, "loss", "step", "loss", [new ChartSeries("train", [1, 2, 3], [3, 2, 1.5]), new ChartSeries("validation", [1, 3], [3.2, 2])]);

        using var image = SKBitmap.Decode(path);
        Assert.Equal((800, 500), (image.Width, image.Height));
    }

    [Fact]
    public void Chinese_labels_are_drawn_with_an_installed_cjk_font_or_the_missing_font_is_named()
    {
        var path = Path.Combine(folder, "attention.png");

        Charts.Heatmap(path, "注意力", new double[,] { { 0.1, 0.9 }, { 0.6, 0.4 } }, ["标", "题"], ["文", "章"]);

        Assert.True(File.Exists(path));
        // A font is named exactly when the system has one with Chinese glyphs, and the named one has them all.
        var installed = SKFontManager.Default.GetFontFamilies().Where(family => Charts.HasGlyphs(family, "注意力标题文章")).ToArray();
        Assert.Equal(installed.Length > 0, Charts.CjkFont is not null);
        if (Charts.CjkFont is { } font) Assert.Contains(font, installed);
    }

    [Fact]
    public void Mismatched_labels_or_series_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Charts.Heatmap(Path.Combine(folder, "h.png"), "t", new double[2, 2], ["a"], ["b", "c"]));
        Assert.Throws<ArgumentException>(() => Charts.Lines(Path.Combine(folder, "l.png"), "t", "x", "y", [new ChartSeries("s", [1, 2], [1])]));
    }
}
