using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="RmsNorm.Apply"/>: <c>x · 1/√(mean(x²) + ε) · weight</c> over the last dimension (opset 17 has no RMSNormalization operator).</summary>
public static class RmsNormOnnx
{
    /// <summary>
    /// Adds the normalisation at <paramref name="path"/> reading <paramref name="input"/> [..., features]; returns the
    /// same shape. The weight is stored as <c>&lt;path&gt;/weight</c>, the record's ε as <c>&lt;path&gt;/epsilon</c>.
    /// </summary>
    public static string Export(OnnxGraph graph, string path, RmsNormParams parameters, string input)
    {
        var square = graph.Node("Mul", $"{path}/Square", [input, input]);
        var mean = graph.Node("ReduceMean", $"{path}/MeanSquare", [square], OnnxAttribute.Of("axes", [-1L]), OnnxAttribute.Of("keepdims", 1L));
        var root = graph.Node("Sqrt", $"{path}/Root", [graph.Node("Add", $"{path}/AddEpsilon", [mean, graph.Scalar($"{path}/epsilon", (float)parameters.Epsilon)])]);
        var scaled = graph.Node("Mul", $"{path}/Scale", [input, graph.Node("Reciprocal", $"{path}/Inverse", [root])]);
        return graph.Node("Mul", $"{path}/Weight", [scaled, graph.Initializer($"{path}/weight", parameters.Weight)]);
    }
}
