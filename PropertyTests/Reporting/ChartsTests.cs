using Functional.Core;
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
        Assert.Equal((900, 500), (image.Width, image.Height));
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

    [Fact]
    public void A_missing_cjk_font_is_named_with_its_debian_package_only_when_a_label_needs_it()
    {
        var warning = Charts.MissingFontWarning(["Loss", "注意力"], cjkFont: null);

        Assert.NotNull(warning);
        Assert.Contains("fonts-wqy-microhei", warning);
        Assert.Null(Charts.MissingFontWarning(["Loss", "step"], cjkFont: null));
        Assert.Null(Charts.MissingFontWarning(["注意力"], cjkFont: "WenQuanYi Micro Hei"));
    }

    [Fact]
    public void Unknown_characters_are_outlined_so_the_heat_map_differs_from_one_without_them()
    {
        var (plain, marked) = (Path.Combine(folder, "plain.png"), Path.Combine(folder, "marked.png"));
        var weights = new double[,] { { 0.1, 0.9, 0.0 }, { 0.6, 0.2, 0.2 } };

        Charts.Heatmap(plain, "t", weights, ["a", "b"], ["x", "y", "z"]);
        Charts.Heatmap(marked, "t", weights, ["a", "b"], ["x", Charts.UnknownLabel, "z"]);

        using var withMark = SKBitmap.Decode(marked);
        using var without = SKBitmap.Decode(plain);
        static int Reds(SKBitmap image) => Enumerable.Range(0, image.Width).SelectMany(x => Enumerable.Range(0, image.Height).Select(y => image.GetPixel(x, y)))
            .Count(c => c.Red > 200 && c.Green < 60 && c.Blue < 60);
        Assert.True(Reds(withMark) > Reds(without) + 50, $"{Reds(withMark)} red pixels with an unknown character, {Reds(without)} without.");
    }

    [Fact]
    public void Validation_metrics_get_their_own_chart_beside_the_loss_chart()
    {
        var chart = new LossChartObserver(Path.Combine(folder, "loss.png"));
        using var random = TorchSharp.torch.zeros(1);
        var state = new Functional.Training.TrainState<object, NoState>(new object(), new object(), 0, random, Functional.Training.DataPosition.Start, Functional.Core.NoState.Value);
        chart.FitStarted(new Functional.Training.FitStart<object, NoState>(state, 2, 2));
        for (var epoch = 0; epoch < 2; epoch++)
        {
            for (var step = 1; step <= 2; step++)
                chart.StepFinished(new Functional.Training.StepEnd<object, NoState>(state with { Step = epoch * 2 + step }, epoch, 2, new Dictionary<string, double> { ["loss"] = 3.0 / (epoch * 2 + step) }, TimeSpan.Zero));
            chart.EpochFinished(new Functional.Training.EpochEnd<object, NoState>(state, new Functional.Training.EpochReport(epoch, epoch * 2 + 2, new Dictionary<string, double>(),
                new Dictionary<string, double> { ["loss"] = 1.0 / (epoch + 1), ["rougeL"] = 0.1 * (epoch + 1) }, 1), Functional.Training.FitEnd.Completed));
        }

        Assert.Equal(Path.Combine(folder, "metrics.png"), chart.MetricsChartPath);
        using var metrics = SKBitmap.Decode(chart.MetricsChartPath);
        Assert.Equal((900, 800), (metrics.Width, metrics.Height));
        Assert.True(File.Exists(Path.Combine(folder, "loss.png")));
    }
}
