using ScottPlot;
using SkiaSharp;

namespace Functional.Reporting;

/// <summary>One line of a chart.</summary>
/// <param name="Name">The legend text.</param>
/// <param name="X">The x values (steps, epochs).</param>
/// <param name="Y">The y values, as many as <paramref name="X"/>.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// PNG charts of training curves and of matrices (attention weights), with labels in any script: text outside
/// Latin is drawn with an installed CJK font (WenQuanYi Micro Hei, Debian package <c>fonts-wqy-microhei</c>, or a
/// Noto/Source Han CJK font); without one, such text would come out as boxes, and <see cref="CjkFont"/> says so.
/// </summary>
public static class Charts
{
    static readonly string[] CjkFamilies = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Droid Sans Fallback"];

    /// <summary>
    /// The installed font used for CJK text: a preferred family if installed, else any font that has Chinese
    /// glyphs; null when there is none.
    /// </summary>
    public static string? CjkFont { get; } =
        CjkFamilies.FirstOrDefault(family => SKFontManager.Default.GetFontFamilies().Contains(family))
        ?? SKFontManager.Default.GetFontFamilies().Order(StringComparer.Ordinal).FirstOrDefault(family => HasGlyphs(family, "中文"));

    /// <summary>Whether the installed font <paramref name="family"/> has a glyph for every character of <paramref name="text"/>.</summary>
    public static bool HasGlyphs(string family, string text)
    {
        using var typeface = SKTypeface.FromFamilyName(family);
        using var font = new SKFont(typeface);
        return typeface.FamilyName == family && font.GetGlyphs(text).All(glyph => glyph != 0);
    }

    /// <summary>Writes a line chart of <paramref name="series"/> to <paramref name="path"/>.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series)
    {
        var plot = new Plot();
        foreach (var line in series)
        {
            if (line.X.Count != line.Y.Count) throw new ArgumentException($"Series '{line.Name}' has {line.X.Count} x values and {line.Y.Count} y values.", nameof(series));
            var scatter = plot.Add.Scatter(line.X.ToArray(), line.Y.ToArray());
            scatter.LegendText = line.Name;
            if (line.X.Count > 60) scatter.MarkerSize = 0; // a dense curve reads better as a line
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (series.Count > 1) plot.ShowLegend();
        Save(plot, path, 800, 500, series.Select(s => s.Name).Append(title).Append(xLabel).Append(yLabel));
    }

    /// <summary>
    /// Writes a heat map of <paramref name="values"/> ([rows, columns], e.g. attention of output characters over
    /// input characters) to <paramref name="path"/>, row 0 at the top, with a label per row and per column.
    /// </summary>
    public static void Heatmap(string path, string title, double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        if (rowLabels.Count != rows || columnLabels.Count != columns)
            throw new ArgumentException($"A {rows}x{columns} matrix needs {rows} row labels and {columns} column labels, got {rowLabels.Count} and {columnLabels.Count}.");
        var plot = new Plot();
        plot.Add.ColorBar(plot.Add.Heatmap(values));
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(c => (double)c).ToArray(), columnLabels.ToArray());
        // The heat map draws row 0 at the top, where the y axis is highest.
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(r => (double)(rows - 1 - r)).ToArray(), rowLabels.ToArray());
        plot.Title(title);
        Save(plot, path, Math.Max(400, 40 + 22 * columns), Math.Max(300, 80 + 22 * rows), rowLabels.Concat(columnLabels).Append(title));
    }

    static void Save(Plot plot, string path, int width, int height, IEnumerable<string> texts)
    {
        if (CjkFont is { } font && texts.Any(text => text.Any(c => c > '\u2e80'))) plot.Font.Set(font);
        plot.SavePng(path, width, height);
    }
}
