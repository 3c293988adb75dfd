using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="AdditiveAttention.Apply"/> (Bahdanau): <c>score · tanh(Wq·q + Wk·m + b)</c>, masked softmax, weighted memory.</summary>
public static class AdditiveAttentionOnnx
{
    /// <summary>
    /// Adds the attention at <paramref name="path"/> reading <paramref name="query"/> [batch, queries, width] with Bool
    /// <paramref name="queryMask"/> and <paramref name="memory"/> [batch, keys, width] with Bool
    /// <paramref name="memoryMask"/>; the projections are stored under <c>&lt;path&gt;/query</c> and
    /// <c>&lt;path&gt;/key</c>, the score vector as <c>&lt;path&gt;/score</c>.
    /// </summary>
    public static OnnxAttentionOutputs Export(OnnxGraph graph, string path, AdditiveAttentionParams parameters, string query, string queryMask, string memory, string memoryMask, bool causal)
    {
        var q = LinearOnnx.Export(graph, $"{path}/query", parameters.Query, MasksOnnx.ZeroPadding(graph, $"{path}/QueryPadding", query, queryMask, 3));
        var m = MasksOnnx.ZeroPadding(graph, $"{path}/MemoryPadding", memory, memoryMask, 3);
        var k = LinearOnnx.Export(graph, $"{path}/key", parameters.Key, m);
        var sum = graph.Node("Add", $"{path}/Sum", [
            graph.Node("Unsqueeze", $"{path}/QueryPairs", [q, graph.Int64s($"{path}/QueryPairs/axes", 2)]),
            graph.Node("Unsqueeze", $"{path}/KeyPairs", [k, graph.Int64s($"{path}/KeyPairs/axes", 1)])]);
        var scores = graph.Node("MatMul", $"{path}/Scores", [graph.Node("Tanh", $"{path}/Tanh", [sum]), graph.Initializer($"{path}/score", parameters.Score)]);
        var weights = MasksOnnx.Softmax(graph, $"{path}/Softmax", scores, MasksOnnx.Allowed(graph, path, queryMask, memoryMask, causal));
        return new OnnxAttentionOutputs(graph.Node("MatMul", $"{path}/Output", [weights, m]), weights);
    }
}
