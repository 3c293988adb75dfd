using Functional.Core;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>
/// The ONNX graph of <see cref="Rotary.Apply"/>: each pair of a head's features turned by position·θ^(−2i/d), the
/// angles' cos and sin computed in float64 and the rotation in float32, in either <see cref="RotaryLayout"/>.
/// </summary>
public static class RotaryOnnx
{
    /// <summary>
    /// Adds the rotation at <paramref name="path"/> of <paramref name="heads"/> [batch, heads, length, d] (float32, d =
    /// <paramref name="headWidth"/>, even) by int64 <paramref name="positions"/> [batch, length] (a graph input, or
    /// <see cref="PositionsOnnx.FromSequence"/>); returns the same shape. The inverse frequencies are stored as
    /// <c>&lt;path&gt;/frequencies</c> (float64).
    /// </summary>
    /// <exception cref="ArgumentException">The head width is odd or below 2.</exception>
    public static string Export(OnnxGraph graph, string path, RotarySettings settings, long headWidth, string heads, string positions)
    {
        if (headWidth < 2 || headWidth % 2 != 0)
            throw new ArgumentException($"{path}: rotary embeddings need an even head width, got {headWidth}.", nameof(headWidth));
        var half = headWidth / 2;
        var frequencies = new double[half];
        for (var i = 0; i < half; i++) frequencies[i] = Math.Pow(settings.Base, -(double)i / half);
        using var table = torch.tensor(frequencies, dtype: torch.float64);
        // [batch, length] → [batch, 1, length, half] angles, as Rotary.Angles.
        var angles = graph.Node("Mul", $"{path}/Angles", [
            graph.Node("Unsqueeze", $"{path}/Positions", [graph.Node("Cast", $"{path}/PositionsDouble", [positions], OnnxAttribute.Of("to", 11L)), graph.Int64s($"{path}/Positions/axes", -1)]),
            graph.Initializer($"{path}/frequencies", table)]);
        var wide = graph.Node("Unsqueeze", $"{path}/OverHeads", [angles, graph.Int64s($"{path}/OverHeads/axes", 1)]);
        var cos = graph.Node("Cast", $"{path}/Cos", [graph.Node("Cos", $"{path}/CosDouble", [wide])], OnnxAttribute.Of("to", 1L));
        var sin = graph.Node("Cast", $"{path}/Sin", [graph.Node("Sin", $"{path}/SinDouble", [wide])], OnnxAttribute.Of("to", 1L));
        (string First, string Second) Turn(string first, string second) => (
            graph.Node("Sub", $"{path}/First", [graph.Node("Mul", $"{path}/FirstCos", [first, cos]), graph.Node("Mul", $"{path}/SecondSin", [second, sin])]),
            graph.Node("Add", $"{path}/Second", [graph.Node("Mul", $"{path}/SecondCos", [second, cos]), graph.Node("Mul", $"{path}/FirstSin", [first, sin])]));
        if (settings.Layout == RotaryLayout.HalfSplit)
        {
            var halves = graph.Node("Split", $"{path}/Halves", [heads, graph.Int64s($"{path}/Halves/split", half, half)], ["first", "second"], OnnxAttribute.Of("axis", 3L));
            var (first, second) = Turn(halves[0], halves[1]);
            return graph.Node("Concat", $"{path}/Rotated", [first, second], OnnxAttribute.Of("axis", 3L));
        }
        var pairs = graph.Node("Reshape", $"{path}/Pairs", [heads, graph.Int64s($"{path}/Pairs/shape", 0, 0, 0, half, 2)]);
        var parts = graph.Node("Split", $"{path}/EvenOdd", [pairs, graph.Int64s($"{path}/EvenOdd/split", 1, 1)], ["even", "odd"], OnnxAttribute.Of("axis", 4L));
        var lastAxis = graph.Int64s($"{path}/PairAxis", 4);
        var (even, odd) = Turn(graph.Node("Squeeze", $"{path}/Even", [parts[0], lastAxis]), graph.Node("Squeeze", $"{path}/Odd", [parts[1], lastAxis]));
        var stacked = graph.Node("Concat", $"{path}/Stacked", [
            graph.Node("Unsqueeze", $"{path}/EvenBack", [even, lastAxis]), graph.Node("Unsqueeze", $"{path}/OddBack", [odd, lastAxis])], OnnxAttribute.Of("axis", 4L));
        return graph.Node("Reshape", $"{path}/Rotated", [stacked, graph.Node("Shape", $"{path}/HeadsShape", [heads])]);
    }
}
