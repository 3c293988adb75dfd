using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="Linear.Apply"/>: <c>MatMul(x, weightᵀ)</c> then <c>Add(bias)</c>, for an input of any rank ≥ 1.</summary>
public static class LinearOnnx
{
    /// <summary>
    /// Adds the layer at tree path <paramref name="path"/> reading <paramref name="input"/> [..., in]; returns its
    /// output [..., out]. The weight is stored transposed ([in, out], so that <c>MatMul</c> broadcasts over leading
    /// dimensions) as <c>&lt;path&gt;/weight_t</c>, the bias as <c>&lt;path&gt;/bias</c>.
    /// </summary>
    public static string Export(OnnxGraph graph, string path, LinearParams parameters, string input)
    {
        using var transposed = parameters.Weight.t();
        var weight = graph.Initializer($"{path}/weight_t", transposed);
        var product = graph.Node("MatMul", $"{path}/MatMul", [input, weight]);
        if (parameters.Bias is null) return product;
        var bias = graph.Initializer($"{path}/bias", parameters.Bias);
        return graph.Node("Add", $"{path}/Add", [product, bias]);
    }
}
