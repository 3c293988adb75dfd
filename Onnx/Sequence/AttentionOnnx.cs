using Functional.Core;

namespace Functional.Onnx;

/// <summary>What an exported attention returns: the names of its output (zeros at padded queries) and its weights.</summary>
/// <param name="Output">[batch, queries, width].</param>
/// <param name="Weights">[batch, queries, keys] ([batch, heads, queries, keys] for multi-head attention), zeros at hidden pairs.</param>
public sealed record OnnxAttentionOutputs(string Output, string Weights);

/// <summary>The ONNX graph of <see cref="Attention.ScaledDotProduct"/>, with the same masking (zero padding, masked softmax, causal triangle).</summary>
public static class AttentionOnnx
{
    /// <summary>
    /// Adds scaled dot-product attention at <paramref name="path"/>: <paramref name="query"/> [batch, queries, d] with
    /// Bool <paramref name="queryMask"/>, <paramref name="keys"/> [batch, keys, d] and <paramref name="values"/> [batch,
    /// keys, dv] with Bool <paramref name="keyMask"/>. The scale √d is computed in the graph from the query's width.
    /// </summary>
    public static OnnxAttentionOutputs ScaledDotProduct(OnnxGraph graph, string path, string query, string queryMask, string keys, string values, string keyMask, bool causal)
    {
        var q = MasksOnnx.ZeroPadding(graph, $"{path}/Query", query, queryMask, 3);
        var k = MasksOnnx.ZeroPadding(graph, $"{path}/Keys", keys, keyMask, 3);
        var v = values == keys ? k : MasksOnnx.ZeroPadding(graph, $"{path}/Values", values, keyMask, 3);
        var allowed = MasksOnnx.Allowed(graph, path, queryMask, keyMask, causal);
        return Heads(graph, path, q, k, v, allowed, rank: 3);
    }

    /// <summary>
    /// The shared core: <c>softmax(q·kᵀ / √d)</c> under <paramref name="allowed"/>, times <paramref name="v"/>, for
    /// inputs of <paramref name="rank"/> 3 ([batch, length, d]) or 4 ([batch, heads, length, d], the allowed pairs
    /// widened over the heads).
    /// </summary>
    internal static OnnxAttentionOutputs Heads(OnnxGraph graph, string path, string q, string k, string v, string allowed, int rank)
    {
        var perm = rank == 3 ? new long[] { 0, 2, 1 } : [0, 1, 3, 2];
        var product = graph.Node("MatMul", $"{path}/Scores", [q, graph.Node("Transpose", $"{path}/KeysT", [k], OnnxAttribute.Of("perm", perm))]);
        var width = graph.Node("Cast", $"{path}/Width", [graph.Node("Shape", $"{path}/WidthShape", [q], OnnxAttribute.Of("start", -1L))], OnnxAttribute.Of("to", 1L));
        var scores = graph.Node("Div", $"{path}/Scale", [product, graph.Node("Sqrt", $"{path}/RootWidth", [width])]);
        var mask = rank == 3 ? allowed : graph.Node("Unsqueeze", $"{path}/OverHeads", [allowed, graph.Int64s($"{path}/OverHeads/axes", 1)]);
        var weights = MasksOnnx.Softmax(graph, $"{path}/Softmax", scores, mask);
        return new OnnxAttentionOutputs(graph.Node("MatMul", $"{path}/Output", [weights, v]), weights);
    }
}
