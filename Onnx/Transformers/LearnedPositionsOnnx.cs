using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="LearnedPositions.Apply"/>: <c>Gather</c> of the table's rows.</summary>
public static class LearnedPositionsOnnx
{
    /// <summary>
    /// Adds the lookup at <paramref name="path"/> reading int64 <paramref name="positions"/> [batch, length]; returns
    /// [batch, length, width]. The table is stored as <c>&lt;path&gt;/weight</c>. A position beyond the table is an error
    /// in ONNX Runtime (Gather's index check) as in ours.
    /// </summary>
    public static string Export(OnnxGraph graph, string path, LearnedPositionsParams parameters, string positions) =>
        graph.Node("Gather", $"{path}/Gather", [graph.Initializer($"{path}/weight", parameters.Weight), positions], OnnxAttribute.Of("axis", 0L));
}
