using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="Embedding.Apply"/>: <c>Gather</c> of the table's rows.</summary>
public static class EmbeddingOnnx
{
    /// <summary>
    /// Adds the lookup at <paramref name="path"/> reading int64 <paramref name="ids"/> of any shape; returns
    /// [..ids, dimension]. The table is stored as <c>&lt;path&gt;/weight</c>. An id out of range is an error in ONNX
    /// Runtime as in ours.
    /// </summary>
    public static string Export(OnnxGraph graph, string path, EmbeddingParams parameters, string ids) =>
        graph.Node("Gather", $"{path}/Gather", [graph.Initializer($"{path}/weight", parameters.Weight), ids], OnnxAttribute.Of("axis", 0L));
}
