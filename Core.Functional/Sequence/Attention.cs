using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The output of an attention layer and the attention weights, for inspection.</summary>
/// <param name="Output">[batch, queries, features] with the query mask: padded queries are zeros.</param>
/// <param name="Weights">[batch, queries, keys] (or [batch, heads, queries, keys]): each real query's weights sum to 1 over the keys it may see; weights of padded keys, of keys hidden by the causal mask and of padded queries are 0.</param>
public sealed record AttentionResult(MaskedSequence Output, Tensor Weights);

/// <summary>Scaled dot-product (multiplicative) attention over masked sequences.</summary>
public static class Attention
{
    const string Layer = "ScaledDotProductAttention";

    /// <summary>
    /// Each real query of <paramref name="query"/> [batch, queries, d] attends to the real keys of
    /// <paramref name="keys"/> [batch, keys, d] with weights softmax(q·k / √d) and returns the weighted sum of
    /// <paramref name="values"/> [batch, keys, dv]. With <paramref name="causal"/>, query i sees only keys j ≤ i.
    /// </summary>
    /// <remarks>
    /// The output mask is <paramref name="queryMask"/>. A query with no key to see (all keys padded, or hidden by the
    /// causal mask) gives zeros with zero gradient, never NaN. Padded queries, keys and values are never read. Checked
    /// before any native call: ranks, matching batch, widths, dtypes and devices, and masks of the sequences' shapes;
    /// a violation is a <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static AttentionResult ScaledDotProduct(Tensor query, Tensor queryMask, Tensor keys, Tensor values, Tensor keyMask, bool causal)
    {
        var marker = Layer;
        InputChecks.Rank(Layer, marker, query, 3, "query [batch, queries, d]");
        InputChecks.Rank(Layer, marker, keys, 3, "keys [batch, keys, d]");
        InputChecks.Rank(Layer, marker, values, 3, "values [batch, keys, dv]");
        InputChecks.SameDtypeAndDevice(Layer, marker, keys, query);
        InputChecks.SameDtypeAndDevice(Layer, marker, values, query);
        InputChecks.LastDimension(Layer, marker, keys, query.shape[2]);
        if (keys.shape[0] != query.shape[0] || values.shape[0] != query.shape[0] || values.shape[1] != keys.shape[1])
            throw new LayerInputException(Layer, marker, $"keys and values of batch {query.shape[0]} and one length", $"{Shapes.Describe(keys)} and {Shapes.Describe(values)}");
        MaskChecks.Matches(Layer, marker, query, queryMask);
        MaskChecks.Matches(Layer, marker, keys, keyMask);

        using var scope = NewDisposeScope();
        var q = Masks.ZeroPadding(query, queryMask).unsqueeze(1);
        var k = Masks.ZeroPadding(keys, keyMask).unsqueeze(1);
        // Keys that are also the values (self- or memory attention) are masked once.
        var v = ReferenceEquals(values, keys) ? k : Masks.ZeroPadding(values, keyMask).unsqueeze(1);
        var (output, weights) = Heads(q, queryMask, k, v, keyMask, causal);
        var result = new AttentionResult(new MaskedSequence(output.squeeze(1), queryMask.alias()), weights.squeeze(1));
        scope.MoveToOuter(result.Output.Values, result.Output.Mask, result.Weights);
        return result;
    }

    /// <summary>
    /// Attention of zero-padded q [batch, heads, queries, d] over k, v [batch, heads, keys, d|dv]: the output
    /// [batch, heads, queries, dv] (zeros at padded queries) and the weights [batch, heads, queries, keys].
    /// </summary>
    internal static (Tensor Output, Tensor Weights) Heads(Tensor q, Tensor queryMask, Tensor k, Tensor v, Tensor keyMask, bool causal)
    {
        using var scope = NewDisposeScope();
        using var scale = Math.Sqrt(q.shape[^1]).ToScalar();
        var scores = q.matmul(k.transpose(-2, -1)).div(scale);
        var weights = Masks.Softmax(scores, Allowed(queryMask, keyMask, causal).unsqueeze(1), -1);
        var output = weights.matmul(v);
        scope.MoveToOuter(output, weights);
        return (output, weights);
    }

    /// <summary>[batch, queries, keys]: a real query may see a real key (and, with causal, only keys j ≤ i).</summary>
    internal static Tensor Allowed(Tensor queryMask, Tensor keyMask, bool causal)
    {
        using var scope = NewDisposeScope();
        var allowed = queryMask.unsqueeze(2).logical_and(keyMask.unsqueeze(1));
        if (causal) allowed = allowed.logical_and(Masks.Causal(queryMask.shape[1], keyMask.shape[1], queryMask.device).unsqueeze(0));
        return allowed.MoveToOuterDisposeScope();
    }
}
