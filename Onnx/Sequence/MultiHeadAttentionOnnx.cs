using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="MultiHeadAttention.Apply"/>: the projections, heads split by reshape, the shared scaled dot-product core, the output projection.</summary>
public static class MultiHeadAttentionOnnx
{
    /// <summary>
    /// Adds the attention at <paramref name="path"/> reading <paramref name="query"/> [batch, queries, model] with Bool
    /// <paramref name="queryMask"/> and <paramref name="memory"/> [batch, keys, model] with Bool
    /// <paramref name="memoryMask"/>; the projections are stored under <c>&lt;path&gt;/query</c>, <c>key</c>,
    /// <c>value</c> and <c>output</c>. The weights output is [batch, heads, queries, keys].
    /// </summary>
    public static OnnxAttentionOutputs Export(OnnxGraph graph, string path, MultiHeadAttentionParams parameters, string query, string queryMask, string memory, string memoryMask, bool causal)
    {
        var m = MasksOnnx.ZeroPadding(graph, $"{path}/MemoryPadding", memory, memoryMask, 3);
        string Project(string name, LinearParams linear, string input, string mask) =>
            SplitHeads(graph, $"{path}/{name}", MasksOnnx.ZeroPadding(graph, $"{path}/{name}/Padding", LinearOnnx.Export(graph, $"{path}/{name}", linear, input), mask, 3), parameters.Heads);
        var q = Project("query", parameters.Query, MasksOnnx.ZeroPadding(graph, $"{path}/QueryPadding", query, queryMask, 3), queryMask);
        var k = Project("key", parameters.Key, m, memoryMask);
        var v = Project("value", parameters.Value, m, memoryMask);
        var heads = AttentionOnnx.Heads(graph, path, q, k, v, MasksOnnx.Allowed(graph, path, queryMask, memoryMask, causal), rank: 4);
        var joined = graph.Node("Reshape", $"{path}/Join", [
            graph.Node("Transpose", $"{path}/JoinT", [heads.Output], OnnxAttribute.Of("perm", [0L, 2, 1, 3])),
            graph.Int64s($"{path}/Join/shape", 0, 0, -1)]);
        var output = MasksOnnx.ZeroPadding(graph, $"{path}/OutputPadding", LinearOnnx.Export(graph, $"{path}/output", parameters.Output, joined), queryMask, 3);
        return new OnnxAttentionOutputs(output, heads.Weights);
    }

    /// <summary>[batch, length, model] → [batch, heads, length, model / heads].</summary>
    static string SplitHeads(OnnxGraph graph, string path, string x, int heads) =>
        graph.Node("Transpose", $"{path}/Heads", [graph.Node("Reshape", $"{path}/Split", [x, graph.Int64s($"{path}/Split/shape", 0, 0, heads, -1)])],
            OnnxAttribute.Of("perm", [0L, 2, 1, 3]));
}
