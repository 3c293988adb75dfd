using System.Globalization;
using System.Text;
using Functional.Core;

namespace Functional.Reporting;

/// <summary>One parameter tensor of a <see cref="ModelSummary"/>.</summary>
/// <param name="Path">Its tree path (<c>encoder/layers/0/weight</c>).</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Count">Its element count (the product of the shape; 1 for a scalar).</param>
/// <param name="DType">Its element type (<c>Float32</c>).</param>
public sealed record ParameterRow(string Path, IReadOnlyList<long> Shape, long Count, string DType);

/// <summary>
/// A Keras-like summary of a parameter tree: one row per leaf path (in <see cref="Tree.Flatten{T}"/> order) with its
/// shape and parameter count, and the total. <see cref="Total"/> is the sum of the rows' counts, always.
/// </summary>
/// <param name="Rows">The leaves.</param>
/// <param name="Bytes">The memory the tensors take (elements times element size).</param>
public sealed record ModelSummary(IReadOnlyList<ParameterRow> Rows, long Bytes)
{
    /// <summary>The parameter count: the sum of <see cref="ParameterRow.Count"/> over the rows.</summary>
    public long Total => Rows.Sum(row => row.Count);

    /// <summary>The summary of <paramref name="parameters"/> (any tree: a record of tensors, lists of them, nested records). Reads shapes only.</summary>
    public static ModelSummary Of<TParams>(TParams parameters)
    {
        var leaves = Tree.Flatten(parameters);
        var rows = leaves.Select(leaf => new ParameterRow(leaf.Path, leaf.Value.shape.ToArray(), leaf.Value.numel(), leaf.Value.dtype.ToString())).ToArray();
        return new ModelSummary(rows, leaves.Sum(leaf => leaf.Value.numel() * leaf.Value.ElementSize));
    }

    /// <summary>
    /// The table: a header, one line per parameter (path, shape, count with thousands separators, right-aligned), a
    /// rule, and <c>Total: 1,234,567 parameters in 12 tensors (4.71 MB)</c>.
    /// </summary>
    public override string ToString()
    {
        var shapes = Rows.Select(row => "[" + string.Join(", ", row.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]").ToArray();
        var counts = Rows.Select(row => row.Count.ToString("N0", CultureInfo.InvariantCulture)).ToArray();
        var pathWidth = Rows.Select(row => row.Path.Length).Append("Parameter".Length).Max();
        var shapeWidth = shapes.Select(s => s.Length).Append("Shape".Length).Max();
        var countWidth = counts.Select(s => s.Length).Append("Params".Length).Max();
        var typeWidth = Rows.Select(row => row.DType.Length).Append("Type".Length).Max();
        var rule = new string('─', pathWidth + shapeWidth + countWidth + typeWidth + 6);
        var text = new StringBuilder();
        text.AppendLine($"{"Parameter".PadRight(pathWidth)}  {"Shape".PadRight(shapeWidth)}  {"Type".PadRight(typeWidth)}  {"Params".PadLeft(countWidth)}");
        text.AppendLine(rule);
        for (var i = 0; i < Rows.Count; i++)
            text.AppendLine($"{Rows[i].Path.PadRight(pathWidth)}  {shapes[i].PadRight(shapeWidth)}  {Rows[i].DType.PadRight(typeWidth)}  {counts[i].PadLeft(countWidth)}");
        text.AppendLine(rule);
        text.Append(CultureInfo.InvariantCulture, $"Total: {Total:N0} parameters in {Rows.Count} tensors ({Size(Bytes)})");
        return text.ToString();
    }

    static string Size(long bytes) =>
        bytes >= 1 << 30 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 30):F2} GB")
        : bytes >= 1 << 20 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):F2} MB")
        : bytes >= 1 << 10 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F2} KB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
}
