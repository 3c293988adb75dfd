using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The parameters of multi-head attention, as PyTorch's <c>nn.MultiheadAttention</c> split into four dense layers
/// (its <c>in_proj_weight</c> is the rows of Query, Key and Value stacked). <paramref name="Heads"/> is configuration.
/// </summary>
/// <param name="Query">[model, model] with bias.</param>
/// <param name="Key">[model, model] with bias.</param>
/// <param name="Value">[model, model] with bias.</param>
/// <param name="Output">[model, model] with bias.</param>
/// <param name="Heads">The number of heads, at least 1 and dividing the model width.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="Heads"/> is below 1 (also through <c>with</c>).</exception>
public sealed record MultiHeadAttentionParams(LinearParams Query, LinearParams Key, LinearParams Value, LinearParams Output, int Heads)
{
    readonly int heads = Initializers.Positive(Heads, nameof(Heads));

    /// <summary>The number of heads, at least 1.</summary>
    public int Heads { get => heads; init => heads = Initializers.Positive(value, nameof(Heads)); }
}

/// <summary>Multi-head scaled dot-product attention of a query sequence over a memory sequence.</summary>
public static class MultiHeadAttention
{
    const string Layer = nameof(MultiHeadAttention);

    /// <summary>
    /// <paramref name="heads"/> heads over width <paramref name="model"/>, float32 on <paramref name="device"/>: the
    /// four dense layers drawn in the order Query, Key, Value, Output as <see cref="Linear.Init"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or <paramref name="heads"/> does not divide <paramref name="model"/>.</exception>
    public static MultiHeadAttentionParams Init(Generator generator, int model, int heads, Device device)
    {
        Initializers.Positive(model, nameof(model));
        Initializers.Positive(heads, nameof(heads));
        if (model % heads != 0) throw new ArgumentOutOfRangeException(nameof(heads), heads, $"heads must divide the model width {model}, got {heads}.");
        var query = Linear.Init(generator, model, model, device);
        var key = Linear.Init(generator, model, model, device);
        var value = Linear.Init(generator, model, model, device);
        return new(query, key, value, Linear.Init(generator, model, model, device), heads);
    }

    /// <summary>
    /// Projects <paramref name="query"/> [batch, queries, model] and <paramref name="memory"/> [batch, keys, model] (the
    /// memory gives keys and values), runs <see cref="Attention.ScaledDotProduct"/> in each head, concatenates the heads
    /// and projects them with Output: [batch, queries, model] with the query mask, and weights [batch, heads, queries, keys].
    /// For self-attention pass the same sequence twice. With <paramref name="causal"/>, query i sees only keys j ≤ i.
    /// </summary>
    /// <remarks>
    /// Padded queries give zeros (the output bias is not added there); a query with nothing to see gives the output
    /// bias (its attended value is zero), finite, never NaN. Padded positions are never read. Checked before any
    /// native call: ranks, widths, dtypes, devices, batch sizes, heads dividing the width, and masks; a violation is a
    /// <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static AttentionResult Apply(MultiHeadAttentionParams parameters, Tensor query, Tensor queryMask, Tensor memory, Tensor memoryMask, bool causal)
    {
        var model = parameters.Query.Weight.shape[1];
        InputChecks.Rank(Layer, parameters, query, 3, "query [batch, queries, model]");
        InputChecks.Rank(Layer, parameters, memory, 3, "memory [batch, keys, model]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, query, parameters.Query.Weight);
        InputChecks.SameDtypeAndDevice(Layer, parameters, memory, parameters.Query.Weight);
        InputChecks.LastDimension(Layer, parameters, query, model);
        InputChecks.LastDimension(Layer, parameters, memory, model);
        if (memory.shape[0] != query.shape[0])
            throw new LayerInputException(Layer, parameters, $"memory of batch {query.shape[0]} (the query's)", Shapes.Describe(memory));
        if (parameters.Query.Weight.shape[0] % parameters.Heads != 0)
            throw new LayerInputException(Layer, parameters, $"a width divisible by {parameters.Heads} heads", $"width {parameters.Query.Weight.shape[0]}");
        MaskChecks.Matches(Layer, parameters, query, queryMask);
        MaskChecks.Matches(Layer, parameters, memory, memoryMask);

        using var scope = NewDisposeScope();
        var m = Masks.ZeroPadding(memory, memoryMask);
        var q = SplitHeads(Masks.ZeroPadding(Linear.Apply(parameters.Query, Masks.ZeroPadding(query, queryMask)), queryMask), parameters.Heads);
        var k = SplitHeads(Masks.ZeroPadding(Linear.Apply(parameters.Key, m), memoryMask), parameters.Heads);
        var v = SplitHeads(Masks.ZeroPadding(Linear.Apply(parameters.Value, m), memoryMask), parameters.Heads);
        var (heads, weights) = Attention.Heads(q, queryMask, k, v, memoryMask, causal);
        var joined = heads.transpose(1, 2).reshape(query.shape[0], query.shape[1], -1);
        var output = Masks.ZeroPadding(Linear.Apply(parameters.Output, joined), queryMask);
        var result = new AttentionResult(new MaskedSequence(output, queryMask.alias()), weights);
        scope.MoveToOuter(result.Output.Values, result.Output.Mask, result.Weights);
        return result;
    }

    /// <summary>[batch, length, heads·d] to [batch, heads, length, d].</summary>
    static Tensor SplitHeads(Tensor x, int heads) =>
        x.reshape(x.shape[0], x.shape[1], heads, -1).transpose(1, 2);
}
