using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The parameters of additive (Bahdanau) attention: score(q, k) = vᵀ tanh(W_q q + W_k k + b).</summary>
/// <param name="Query">W_q, from the query width to the hidden width, without bias.</param>
/// <param name="Key">W_k and b, from the memory width to the hidden width.</param>
/// <param name="Score">v, [hidden].</param>
public sealed record AdditiveAttentionParams(LinearParams Query, LinearParams Key, Tensor Score);

/// <summary>Additive attention of a query sequence over a memory sequence (the memory is both keys and values).</summary>
public static class AdditiveAttention
{
    const string Layer = nameof(AdditiveAttention);

    /// <summary>
    /// Attention from <paramref name="queryWidth"/>-wide queries over <paramref name="memoryWidth"/>-wide memories
    /// through <paramref name="hidden"/> units, float32 on <paramref name="device"/>: W_q then W_k, b as
    /// <see cref="Linear.Init"/>, then v from U(-1/√hidden, 1/√hidden), all with <paramref name="generator"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A width is below 1.</exception>
    public static AdditiveAttentionParams Init(Generator generator, int queryWidth, int memoryWidth, int hidden, Device device)
    {
        var query = Linear.InitWithoutBias(generator, queryWidth, hidden, device);
        var key = Linear.Init(generator, memoryWidth, hidden, device);
        return new(query, key, Initializers.Uniform(generator, [hidden], 1 / Math.Sqrt(hidden), device));
    }

    /// <summary>
    /// Each real query of <paramref name="query"/> [batch, queries, queryWidth] attends to the real positions of
    /// <paramref name="memory"/> [batch, keys, memoryWidth]; the output [batch, queries, memoryWidth] is the weighted
    /// sum of the memory, with the query mask. With <paramref name="causal"/>, query i sees only memory positions j ≤ i.
    /// </summary>
    /// <remarks>
    /// A query with nothing to see gives zeros with zero gradient; padded queries give zeros; padded positions are
    /// never read. Checked before any native call: ranks, widths, dtypes, devices, batch sizes and masks; a violation
    /// is a <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static AttentionResult Apply(AdditiveAttentionParams parameters, Tensor query, Tensor queryMask, Tensor memory, Tensor memoryMask, bool causal)
    {
        InputChecks.Rank(Layer, parameters, query, 3, "query [batch, queries, width]");
        InputChecks.Rank(Layer, parameters, memory, 3, "memory [batch, keys, width]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, query, parameters.Score);
        InputChecks.SameDtypeAndDevice(Layer, parameters, memory, parameters.Score);
        InputChecks.LastDimension(Layer, parameters, query, parameters.Query.Weight.shape[1]);
        InputChecks.LastDimension(Layer, parameters, memory, parameters.Key.Weight.shape[1]);
        if (memory.shape[0] != query.shape[0])
            throw new LayerInputException(Layer, parameters, $"memory of batch {query.shape[0]} (the query's)", Shapes.Describe(memory));
        MaskChecks.Matches(Layer, parameters, query, queryMask);
        MaskChecks.Matches(Layer, parameters, memory, memoryMask);

        using var scope = NewDisposeScope();
        var q = Linear.Apply(parameters.Query, Masks.ZeroPadding(query, queryMask));
        var m = Masks.ZeroPadding(memory, memoryMask);
        var k = Linear.Apply(parameters.Key, m);
        var hidden = q.unsqueeze(2).add(k.unsqueeze(1), Scalars.One).tanh();
        var scores = hidden.matmul(parameters.Score);
        var weights = Masks.Softmax(scores, Attention.Allowed(queryMask, memoryMask, causal), -1);
        var result = new AttentionResult(new MaskedSequence(weights.matmul(m), queryMask.alias()), weights);
        scope.MoveToOuter(result.Output.Values, result.Output.Mask, result.Weights);
        return result;
    }
}
