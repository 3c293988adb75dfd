using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="LayerNorm.Apply"/>: opset 17's <c>LayerNormalization</c> over the last dimension.</summary>
public static class LayerNormOnnx
{
    /// <summary>
    /// Adds the normalisation at <paramref name="path"/> reading [..., features]; returns the same shape. The weight and
    /// bias are stored as <c>&lt;path&gt;/weight</c> and <c>&lt;path&gt;/bias</c>, the record's ε as the node's epsilon.
    /// </summary>
    public static string Export(OnnxGraph graph, string path, LayerNormParams parameters, string input) =>
        graph.Node("LayerNormalization", $"{path}/LayerNormalization",
            [input, graph.Initializer($"{path}/weight", parameters.Weight), graph.Initializer($"{path}/bias", parameters.Bias)],
            OnnxAttribute.Of("axis", -1L), OnnxAttribute.Of("epsilon", (float)parameters.Epsilon));
}
