namespace Functional.Onnx;

/// <summary>
/// The graph forms of the mask helpers the sequence layers use (<c>Masks.ZeroPadding</c>, <c>Masks.Softmax</c>, the
/// attention's allowed pairs, lengths from a prefix mask), with the same values: a mask is a Bool input, <c>true</c> =
/// real token.
/// </summary>
internal static class MasksOnnx
{
    /// <summary>Zeros at the padded positions of <paramref name="values"/> [batch, length, ...] (rank <paramref name="rank"/>) under the mask [batch, length].</summary>
    public static string ZeroPadding(OnnxGraph graph, string path, string values, string mask, int rank)
    {
        var axes = Enumerable.Range(2, rank - 2).Select(a => (long)a).ToArray();
        var wide = axes.Length == 0 ? mask : graph.Node("Unsqueeze", $"{path}/Widen", [mask, graph.Int64s($"{path}/Widen/axes", axes)]);
        return graph.Node("Where", $"{path}/Where", [wide, values, graph.Scalar($"{path}/zero", 0f)]);
    }

    /// <summary>
    /// <c>Masks.Softmax</c> over the last axis: hidden scores become float32's lowest value, then softmax, then zeros at
    /// the hidden positions (an all-hidden slice gives zeros, never NaN).
    /// </summary>
    public static string Softmax(OnnxGraph graph, string path, string scores, string allowed)
    {
        var filled = graph.Node("Where", $"{path}/Fill", [allowed, scores, graph.Scalar($"{path}/lowest", float.MinValue)]);
        var weights = graph.Node("Softmax", $"{path}/Softmax", [filled], OnnxAttribute.Of("axis", -1L));
        return graph.Node("Where", $"{path}/Where", [allowed, weights, graph.Scalar($"{path}/zero", 0f)]);
    }

    /// <summary>
    /// The attention's allowed pairs [batch, queries, keys]: a real query and a real key, and with
    /// <paramref name="causal"/> key index ≤ query index (a lower triangle of the dynamic size, by <c>Trilu</c>).
    /// </summary>
    public static string Allowed(OnnxGraph graph, string path, string queryMask, string keyMask, bool causal)
    {
        var queries = graph.Node("Unsqueeze", $"{path}/Queries", [queryMask, graph.Int64s($"{path}/Queries/axes", 2)]);
        var keys = graph.Node("Unsqueeze", $"{path}/Keys", [keyMask, graph.Int64s($"{path}/Keys/axes", 1)]);
        var allowed = graph.Node("And", $"{path}/And", [queries, keys]);
        if (!causal) return allowed;
        var size = graph.Node("Concat", $"{path}/Causal/Size", [
            graph.Node("Shape", $"{path}/Causal/QueryLength", [queryMask], OnnxAttribute.Of("start", 1L), OnnxAttribute.Of("end", 2L)),
            graph.Node("Shape", $"{path}/Causal/KeyLength", [keyMask], OnnxAttribute.Of("start", 1L), OnnxAttribute.Of("end", 2L))],
            OnnxAttribute.Of("axis", 0L));
        var ones = graph.Node("Expand", $"{path}/Causal/Ones", [graph.Scalar($"{path}/Causal/one", 1f), size]);
        var lower = graph.Node("Trilu", $"{path}/Causal/Trilu", [ones], OnnxAttribute.Of("upper", 0L));
        var triangle = graph.Node("Cast", $"{path}/Causal/Cast", [lower], OnnxAttribute.Of("to", 9L));
        return graph.Node("And", $"{path}/Causal/And", [allowed, triangle]);
    }

    /// <summary>The int32 lengths [batch] of a mask [batch, length]: its count of real tokens per row (the prefix length when the mask is a prefix mask).</summary>
    public static string Lengths(OnnxGraph graph, string path, string mask)
    {
        var counts = graph.Node("Cast", $"{path}/Lengths/Cast", [mask], OnnxAttribute.Of("to", 6L));
        return graph.Node("ReduceSum", $"{path}/Lengths", [counts, graph.Int64s($"{path}/Lengths/axes", 1)], OnnxAttribute.Of("keepdims", 0L));
    }
}
