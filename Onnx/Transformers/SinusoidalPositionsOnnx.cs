using Functional.Core;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="SinusoidalPositions.Encode"/>: the angles in float64, sin and cos interleaved, cast to float32.</summary>
public static class SinusoidalPositionsOnnx
{
    /// <summary>
    /// Adds the encodings at <paramref name="path"/> of int64 <paramref name="positions"/> [batch, length]; returns
    /// float32 [batch, length, <paramref name="width"/>] (feature 2i = sin(p / 10000^(2i/width)), 2i+1 = cos of the same
    /// angle). The frequencies are stored as <c>&lt;path&gt;/frequencies</c> (float64, as ours computes them).
    /// </summary>
    /// <exception cref="ArgumentException">The width is odd or below 2 (as <see cref="SinusoidalPositions.Encode"/>).</exception>
    public static string Export(OnnxGraph graph, string path, int width, string positions)
    {
        if (width < 2 || width % 2 != 0)
            throw new ArgumentException($"{path}: SinusoidalPositions needs an even width of at least 2, got {width}.", nameof(width));
        var half = width / 2;
        var frequencies = new double[half];
        for (var i = 0; i < half; i++) frequencies[i] = Math.Pow(10000, -2.0 * i / width);
        using var table = torch.tensor(frequencies, dtype: torch.float64);
        var angles = graph.Node("Mul", $"{path}/Angles", [
            graph.Node("Unsqueeze", $"{path}/Positions", [graph.Node("Cast", $"{path}/PositionsDouble", [positions], OnnxAttribute.Of("to", 11L)), graph.Int64s($"{path}/Positions/axes", -1)]),
            graph.Initializer($"{path}/frequencies", table)]);
        var sin = graph.Node("Unsqueeze", $"{path}/SinPairs", [graph.Node("Sin", $"{path}/Sin", [angles]), graph.Int64s($"{path}/SinPairs/axes", -1)]);
        var cos = graph.Node("Unsqueeze", $"{path}/CosPairs", [graph.Node("Cos", $"{path}/Cos", [angles]), graph.Int64s($"{path}/CosPairs/axes", -1)]);
        var pairs = graph.Node("Concat", $"{path}/Pairs", [sin, cos], OnnxAttribute.Of("axis", -1L));
        var encoded = graph.Node("Reshape", $"{path}/Interleave", [pairs, graph.Int64s($"{path}/Interleave/shape", 0, 0, width)]);
        return graph.Node("Cast", $"{path}/Encodings", [encoded], OnnxAttribute.Of("to", 1L));
    }
}
