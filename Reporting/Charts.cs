using ScottPlot;
using SkiaSharp;

namespace Functional.Reporting;

/// <summary>One line of a chart.</summary>
/// <param name="Name">The legend text.</param>
/// <param name="X">The x values (steps, epochs).</param>
/// <param name="Y">The y values, as many as <paramref name="X"/>.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>One panel of <see cref="Charts.Panels"/>: a line chart.</summary>
/// <param name="Title">The panel's title.</param>
/// <param name="XLabel">The x axis label.</param>
/// <param name="YLabel">The y axis label.</param>
/// <param name="Series">Its lines.</param>
public sealed record ChartPanel(string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series);

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

    /// <summary>
    /// Writes a line chart of <paramref name="series"/> to <paramref name="path"/>; the legend sits to the right, outside
    /// the data area, so it never hides a point.
    /// </summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series)
    {
        var plot = LinePlot(title, xLabel, yLabel, series);
        Save(plot, path, 900, 500, Texts(title, xLabel, yLabel, series));
    }

    /// <summary>
    /// Writes panels of line charts stacked in one PNG (<paramref name="path"/>), each <paramref name="panelHeight"/>
    /// pixels high, legends outside the data areas; a panel with no series is left out.
    /// </summary>
    /// <exception cref="ArgumentException">No panel has a series.</exception>
    public static void Panels(string path, IReadOnlyList<ChartPanel> panels, int panelHeight = 400)
    {
        var shown = panels.Where(panel => panel.Series.Count > 0).ToArray();
        if (shown.Length == 0) throw new ArgumentException("No panel has a series to draw.", nameof(panels));
        var multiplot = new Multiplot();
        var texts = new List<string>();
        for (var i = 0; i < shown.Length; i++)
        {
            var plot = LinePlot(shown[i].Title, shown[i].XLabel, shown[i].YLabel, shown[i].Series);
            // A new multiplot holds one empty plot: the first panel replaces it.
            if (i == 0) multiplot.Reset(plot);
            else multiplot.AddPlot(plot);
            texts.AddRange(Texts(shown[i].Title, shown[i].XLabel, shown[i].YLabel, shown[i].Series));
        }
        if (NeedsCjk(texts) && CjkFont is { } font)
            foreach (var plot in multiplot.GetPlots()) plot.Font.Set(font);
        WarnOnceIfNoCjkFont(texts);
        multiplot.SavePng(path, 900, panelHeight * shown.Length);
    }

    static Plot LinePlot(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series)
    {
        var plot = new Plot();
        foreach (var line in series)
        {
            if (line.X.Count != line.Y.Count) throw new ArgumentException($"Series '{line.Name}' has {line.X.Count} x values and {line.Y.Count} y values.", nameof(series));
            var scatter = plot.Add.Scatter(line.X.ToArray(), line.Y.ToArray());
            scatter.LegendText = line.Name;
            if (line.X.Count > 60) scatter.MarkerSize = 0; // a dense curve reads better as a line
            else scatter.MarkerSize = Math.Max(scatter.MarkerSize, 7); // a lone validation point must be seen
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (series.Count > 0) plot.ShowLegend(Edge.Right);
        return plot;
    }

    static IEnumerable<string> Texts(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series) =>
        series.Select(s => s.Name).Append(title).Append(xLabel).Append(yLabel);

    /// <summary>
    /// The label that marks an unknown character (one outside the model's vocabulary) in <see cref="Heatmap"/>: its
    /// tick reads <c>?</c> and its row or column is outlined in red, with a legend entry saying so, so it is not taken
    /// for a glyph the font lacks (a box).
    /// </summary>
    public const string UnknownLabel = "⟨unk⟩";

    /// <summary>
    /// Writes a heat map of <paramref name="values"/> ([rows, columns], e.g. attention of output characters over
    /// input characters) to <paramref name="path"/>, row 0 at the top, with a label per row and per column. A label
    /// equal to <see cref="UnknownLabel"/> is drawn as <c>?</c> with its row or column outlined in red.
    /// </summary>
    public static void Heatmap(string path, string title, double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        if (rowLabels.Count != rows || columnLabels.Count != columns)
            throw new ArgumentException($"A {rows}x{columns} matrix needs {rows} row labels and {columns} column labels, got {rowLabels.Count} and {columnLabels.Count}.");
        var plot = new Plot();
        plot.Add.ColorBar(plot.Add.Heatmap(values));
        string Tick(string label) => label == UnknownLabel ? "?" : label;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(c => (double)c).ToArray(), columnLabels.Select(Tick).ToArray());
        // The heat map draws row 0 at the top, where the y axis is highest; cell (r, c) is centred on (c, rows - 1 - r).
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(r => (double)(rows - 1 - r)).ToArray(), rowLabels.Select(Tick).ToArray());
        var unknown = false;
        for (var c = 0; c < columns; c++)
            if (columnLabels[c] == UnknownLabel) unknown |= Outline(plot, c - 0.5, c + 0.5, -0.5, rows - 0.5);
        for (var r = 0; r < rows; r++)
            if (rowLabels[r] == UnknownLabel) unknown |= Outline(plot, -0.5, columns - 0.5, rows - 1.5 - r, rows - 0.5 - r);
        if (unknown)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "? = unknown character", LineColor = UnknownColor, LineWidth = 2 });
            plot.ShowLegend(Edge.Bottom);
        }
        plot.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);
        plot.Title(title);
        Save(plot, path, Math.Max(400, 40 + 22 * columns), Math.Max(300, 80 + 22 * rows + (unknown ? 40 : 0)), rowLabels.Where(l => l != UnknownLabel).Concat(columnLabels.Where(l => l != UnknownLabel)).Append(title));
    }

    static readonly Color UnknownColor = Colors.Red;

    static bool Outline(Plot plot, double left, double right, double bottom, double top)
    {
        var box = plot.Add.Rectangle(left, right, bottom, top);
        box.FillStyle.Color = Colors.Transparent;
        box.LineStyle.Color = UnknownColor;
        box.LineStyle.Width = 2;
        box.LineStyle.Pattern = LinePattern.Dashed;
        return true;
    }

    static void Save(Plot plot, string path, int width, int height, IEnumerable<string> texts)
    {
        var all = texts.ToArray();
        if (NeedsCjk(all) && CjkFont is { } font) plot.Font.Set(font);
        WarnOnceIfNoCjkFont(all);
        plot.SavePng(path, width, height);
    }

    static bool NeedsCjk(IEnumerable<string> texts) => texts.Any(text => text.Any(c => c > '\u2e80'));

    static int warned;

    /// <summary>
    /// The warning for labels that need CJK glyphs when no CJK font is installed (<paramref name="cjkFont"/> is null):
    /// it names the Debian package <c>fonts-wqy-microhei</c>. Null when no label needs one or a font is there.
    /// </summary>
    public static string? MissingFontWarning(IEnumerable<string> texts, string? cjkFont) =>
        cjkFont is null && NeedsCjk(texts)
            ? "warning: no CJK font is installed, so Chinese labels in the charts are drawn as boxes; install one (Debian/Ubuntu: sudo apt-get install fonts-wqy-microhei) and draw again."
            : null;

    /// <summary>Writes <see cref="MissingFontWarning"/> to the standard error, once per process.</summary>
    static void WarnOnceIfNoCjkFont(IEnumerable<string> texts)
    {
        if (MissingFontWarning(texts, CjkFont) is { } warning && Interlocked.Exchange(ref warned, 1) == 0) Console.Error.WriteLine(warning);
    }
}
