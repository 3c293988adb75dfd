using Functional.Core;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>The names of a <see cref="KvCache"/> in a graph: keys and values [batch, heads, slots, headWidth] float32, mask [batch, slots] Bool.</summary>
/// <param name="Keys">The cached keys (after the rotary rotation).</param>
/// <param name="Values">The cached values.</param>
/// <param name="Mask">Which slots hold real tokens.</param>
public sealed record OnnxKvCache(string Keys, string Values, string Mask);

/// <summary>What an exported attention or block step returns: the new tokens' output and the extended cache (null for a full pass).</summary>
/// <param name="Output">[batch, length, model], zeros at padded tokens.</param>
/// <param name="Cache">The cache with the new tokens' keys and values appended; null when no cache was given.</param>
public sealed record OnnxTransformerStep(string Output, OnnxKvCache? Cache);

/// <summary>
/// The ONNX graph of <see cref="TransformerAttention.Self"/> and <see cref="TransformerAttention.Step"/>: the fused
/// query-key-value projection, the optional rotary rotation, and attention written out (opset 17 has no fused
/// attention) as <c>MatMul</c> and <c>Softmax</c> with the mask as an additive 0/−∞ bias, exactly as
/// <see cref="MaskedSdpa"/>: a query that may see no key is given every key for the softmax (so it stays finite) and its
/// heads are then zeroed, so an all-padding row gives zeros (then the output bias), never NaN.
/// </summary>
/// <remarks>
/// As ours: padded tokens are zeroed before the projection, padded keys are hidden whatever the mask says, padded
/// queries see every real key and their output is zeroed after the output projection. Initializers:
/// <c>&lt;path&gt;/in_proj_weight_t</c> ([model, 3·model], in_proj_weight transposed for <c>MatMul</c>),
/// <c>&lt;path&gt;/in_proj_bias</c>, and <c>&lt;path&gt;/out_proj/…</c> as <see cref="LinearOnnx"/>.
/// </remarks>
public static class TransformerAttentionOnnx
{
    /// <summary>
    /// Adds self-attention at <paramref name="path"/> over <paramref name="x"/> [batch, length, model] with Bool
    /// <paramref name="mask"/> [batch, length], <paramref name="allowed"/> Bool [batch, length, length] and int64
    /// <paramref name="positions"/> [batch, length] (read only with a rotary embedding; may be null without one);
    /// returns [batch, length, model].
    /// </summary>
    public static string Self(OnnxGraph graph, string path, TransformerAttentionParams parameters, string x, string mask, string allowed, string? positions) =>
        Attend(graph, path, parameters, x, mask, allowed, positions, null).Output;

    /// <summary>
    /// Adds one cached step at <paramref name="path"/>: the new tokens <paramref name="x"/> [batch, n, model] (mask
    /// [batch, n]) attend to <paramref name="cache"/>'s slots and to each other as <paramref name="allowed"/> [batch, n,
    /// slots + n] says, rotated at <paramref name="positions"/>; returns their output and the extended cache, as
    /// <see cref="TransformerAttention.Step"/>.
    /// </summary>
    public static OnnxTransformerStep Step(OnnxGraph graph, string path, TransformerAttentionParams parameters, string x, string mask, string allowed, string? positions, OnnxKvCache cache) =>
        Attend(graph, path, parameters, x, mask, allowed, positions, cache);

    static OnnxTransformerStep Attend(OnnxGraph graph, string path, TransformerAttentionParams parameters, string x, string mask, string allowed, string? positions, OnnxKvCache? cache)
    {
        var model = parameters.InProjWeight.shape[1];
        var headWidth = model / parameters.Heads;
        if (parameters.Rotary is not null && positions is null)
            throw new ArgumentException($"{path}: a rotary attention needs positions (a graph input, or PositionsOnnx.FromSequence).", nameof(positions));
        // The fused projection, then [batch, length, 3, heads, d] → [3, batch, heads, length, d].
        using var transposed = parameters.InProjWeight.t();
        var zeroed = MasksOnnx.ZeroPadding(graph, $"{path}/InputPadding", x, mask, 3);
        var projected = graph.Node("MatMul", $"{path}/InProj", [zeroed, graph.Initializer($"{path}/in_proj_weight_t", transposed)]);
        if (parameters.InProjBias is { } inBias) projected = graph.Node("Add", $"{path}/InProjBias", [projected, graph.Initializer($"{path}/in_proj_bias", inBias)]);
        var qkv = graph.Node("Transpose", $"{path}/QkvFirst", [
            graph.Node("Reshape", $"{path}/Qkv", [projected, graph.Int64s($"{path}/Qkv/shape", 0, 0, 3, parameters.Heads, headWidth)])],
            OnnxAttribute.Of("perm", [2L, 0, 3, 1, 4]));
        string Part(string name, long index)
        {
            using var i = torch.tensor(index);
            return graph.Node("Gather", $"{path}/{name}", [qkv, graph.Initializer($"{path}/{name}/index", i)], OnnxAttribute.Of("axis", 0L));
        }
        string q = Part("Query", 0), k = Part("Key", 1), v = Part("Value", 2);
        if (parameters.Rotary is { } rotary)
        {
            q = RotaryOnnx.Export(graph, $"{path}/QueryRotary", rotary, headWidth, q, positions!);
            k = RotaryOnnx.Export(graph, $"{path}/KeyRotary", rotary, headWidth, k, positions!);
        }
        var keyMask = mask;
        OnnxKvCache? next = null;
        if (cache is not null)
        {
            k = graph.Node("Concat", $"{path}/CacheKeys", [cache.Keys, k], OnnxAttribute.Of("axis", 2L));
            v = graph.Node("Concat", $"{path}/CacheValues", [cache.Values, v], OnnxAttribute.Of("axis", 2L));
            keyMask = graph.Node("Concat", $"{path}/CacheMask", [cache.Mask, mask], OnnxAttribute.Of("axis", 1L));
            next = new OnnxKvCache(k, v, keyMask);
        }
        // TransformerAttention.Visible: padded queries see every real key; padded keys are hidden.
        var paddedQueries = graph.Node("Unsqueeze", $"{path}/PaddedQueries", [graph.Node("Not", $"{path}/Padded", [mask]), graph.Int64s($"{path}/PaddedQueries/axes", -1)]);
        var realKeys = graph.Node("Unsqueeze", $"{path}/RealKeys", [keyMask, graph.Int64s($"{path}/RealKeys/axes", 1)]);
        var visible = graph.Node("And", $"{path}/Visible", [graph.Node("Or", $"{path}/AllowedOrPadded", [allowed, paddedQueries]), realKeys]);
        // MaskedSdpa: a blind query (sees no key) gets every key for the softmax, then zeros.
        var seesAny = graph.Node("ReduceMax", $"{path}/SeesAny", [graph.Node("Cast", $"{path}/VisibleInt", [visible], OnnxAttribute.Of("to", 6L))],
            OnnxAttribute.Of("axes", [-1L]), OnnxAttribute.Of("keepdims", 1L));
        using var noKey = torch.tensor(0, dtype: torch.int32);
        var blind = graph.Node("Equal", $"{path}/Blind", [seesAny, graph.Initializer($"{path}/noKey", noKey)]);   // [batch, queries, 1]
        var safe = graph.Node("Or", $"{path}/Safe", [visible, blind]);
        var bias = graph.Node("Unsqueeze", $"{path}/BiasOverHeads", [
            graph.Node("Where", $"{path}/Bias", [safe, graph.Scalar($"{path}/zero", 0f), graph.Scalar($"{path}/minusInfinity", float.NegativeInfinity)]),
            graph.Int64s($"{path}/BiasOverHeads/axes", 1)]);
        var scores = graph.Node("Mul", $"{path}/Scale", [
            graph.Node("MatMul", $"{path}/Scores", [q, graph.Node("Transpose", $"{path}/KeysT", [k], OnnxAttribute.Of("perm", [0L, 1, 3, 2]))]),
            graph.Scalar($"{path}/scale", (float)(1 / Math.Sqrt(headWidth)))]);
        var weights = graph.Node("Softmax", $"{path}/Softmax", [graph.Node("Add", $"{path}/Masked", [scores, bias])], OnnxAttribute.Of("axis", -1L));
        var heads = graph.Node("MatMul", $"{path}/Heads", [weights, v]);
        var blindHeads = graph.Node("Unsqueeze", $"{path}/BlindOverHeads", [blind, graph.Int64s($"{path}/BlindOverHeads/axes", 1)]);
        heads = graph.Node("Where", $"{path}/BlindZeros", [blindHeads, graph.Scalar($"{path}/blindZero", 0f), heads]);
        var joined = graph.Node("Reshape", $"{path}/Join", [
            graph.Node("Transpose", $"{path}/JoinT", [heads], OnnxAttribute.Of("perm", [0L, 2, 1, 3])),
            graph.Int64s($"{path}/Join/shape", 0, 0, model)]);
        var output = MasksOnnx.ZeroPadding(graph, $"{path}/OutputPadding", LinearOnnx.Export(graph, $"{path}/out_proj", parameters.OutProj, joined), mask, 3);
        return new OnnxTransformerStep(output, next);
    }
}
