using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The parameters of transformer multi-head attention with a fused query-key-value projection, named as PyTorch's
/// <c>nn.MultiheadAttention</c> (so its state dict loads with <c>strict=True</c>): <c>in_proj_weight</c>
/// [3·model, model] (the rows of the query, key and value projections stacked), <c>in_proj_bias</c> [3·model] and
/// <c>out_proj/weight</c>, <c>out_proj/bias</c>.
/// </summary>
/// <param name="InProjWeight">[3·model, model]: query rows, then key rows, then value rows.</param>
/// <param name="InProjBias">[3·model], or null for none (then no leaf; PyTorch's <c>bias=False</c> also drops out_proj's bias).</param>
/// <param name="OutProj">[model, model] with bias (or without, with no in-projection bias).</param>
/// <param name="Heads">The number of heads, at least 1 and dividing the model width: configuration.</param>
/// <param name="Rotary">Rotary position embeddings of queries and keys in self-attention, or null for none: configuration.</param>
public sealed record TransformerAttentionParams(
    [property: TreeName("in_proj_weight")] Tensor InProjWeight,
    [property: TreeName("in_proj_bias")] Tensor? InProjBias,
    [property: TreeName("out_proj")] LinearParams OutProj,
    int Heads,
    RotarySettings? Rotary)
{
    readonly int heads = Initializers.Positive(Heads, nameof(Heads));

    /// <summary>The number of heads, at least 1.</summary>
    public int Heads { get => heads; init => heads = Initializers.Positive(value, nameof(Heads)); }
}

/// <summary>The output of a cached attention or block step: the new tokens' output and the cache to pass to the next step.</summary>
/// <param name="Output">[batch, new tokens, model] with the new tokens' mask; padded tokens are zeros.</param>
/// <param name="Cache">The cache holding the earlier slots and the new tokens' keys and values.</param>
public sealed record AttentionStep(MaskedSequence Output, KvCache Cache);

/// <summary>
/// Multi-head self- and cross-attention on <see cref="MaskedSdpa"/> (libtorch's fused kernel) with masks as values and
/// an optional rotary embedding, and cached incremental self-attention.
/// </summary>
/// <remarks>
/// Padded tokens are zeroed before the projections, so their content (even NaN) never reaches a real token; padded
/// keys are hidden from every query whatever the given mask; padded queries give zeros (no output bias); a query that
/// may see no key gives the output bias, finite, never NaN. Errors are <see cref="LayerInputException"/>s naming the
/// layer (its path through <see cref="LayerPaths.Resolve{TParams,TResult}"/>) and both shapes.
/// </remarks>
public static class TransformerAttention
{
    const string Layer = nameof(TransformerAttention);

    /// <summary>
    /// <paramref name="heads"/> heads over width <paramref name="model"/>, float32 on <paramref name="device"/>, as
    /// PyTorch's <c>nn.MultiheadAttention</c>: in_proj_weight Xavier-uniform, in_proj_bias and out_proj.bias zeros,
    /// out_proj.weight as <see cref="Linear.Init"/>'s weight; <paramref name="rotary"/> null for no rotary embedding.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, <paramref name="heads"/> does not divide <paramref name="model"/>, or rotary is asked with an odd head width.</exception>
    public static TransformerAttentionParams Init(Generator generator, int model, int heads, RotarySettings? rotary, Device device)
    {
        Initializers.Positive(model, nameof(model));
        Initializers.Positive(heads, nameof(heads));
        if (model % heads != 0) throw new ArgumentOutOfRangeException(nameof(heads), heads, $"heads must divide the model width {model}, got {heads}.");
        if (rotary is not null && (model / heads) % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(heads), heads, $"Rotary embeddings need an even head width, got {model / heads} (width {model}, {heads} heads).");
        var inProj = Initializers.Uniform(generator, [3 * model, model], Math.Sqrt(6.0 / (model + 3 * model)), device);
        var outProj = Linear.InitWithoutBias(generator, model, model, device);
        return new(inProj, zeros(3 * model, dtype: float32, device: device),
            new LinearParams(outProj.Weight, zeros(model, dtype: float32, device: device)), heads, rotary);
    }

    /// <summary>
    /// Self-attention of <paramref name="x"/> [batch, length, model] with mask [batch, length]: query i attends to the keys
    /// <paramref name="allowed"/> [batch, length, length] lets it see (and that are real). <paramref name="positions"/>
    /// [batch, length] (integer) are the absolute positions the rotary embedding uses (ignored without one).
    /// <paramref name="dropout"/> is the rate of dropout on the attention weights while <paramref name="training"/>, drawn
    /// from <paramref name="generator"/>. Returns [batch, length, model] with x's mask. Pure.
    /// </summary>
    public static MaskedSequence Self(TransformerAttentionParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, double dropout, bool training, Generator generator)
    {
        CheckSequence(parameters, x, "x [batch, length, model]");
        return Attend(parameters, x, allowed, positions, null, 0, dropout, training, generator, zeroPadding: true).Output;
    }

    /// <summary>
    /// <see cref="Self"/> for a caller that guarantees <paramref name="x"/> is finite at padded tokens and zeroes the padded
    /// rows of what it makes of the output (as <see cref="TransformerBlock"/> does): padded tokens are neither zeroed on the
    /// way in nor on the way out. The real tokens' output and every gradient reaching a real token or a parameter are those
    /// of <see cref="Self"/>: padded keys still get weight exactly 0, and padded queries' rows are the caller's to zero.
    /// </summary>
    internal static MaskedSequence SelfOverFinitePadding(TransformerAttentionParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, double dropout, bool training, Generator generator)
    {
        CheckSequence(parameters, x, "x [batch, length, model]");
        return Attend(parameters, x, allowed, positions, null, 0, dropout, training, generator, zeroPadding: false).Output;
    }

    /// <summary>
    /// <see cref="Self"/> on packed tokens, for <see cref="TransformerBlock"/>: <paramref name="packed"/> [real tokens, model]
    /// is the attention input at <paramref name="tokens"/>' real tokens of <paramref name="x"/> (whose shape and mask are
    /// checked); returns the output at the same rows. The projections run on the real rows only; the padded slots of the
    /// queries, keys and values are zeros (padded keys still get weight exactly 0, padded queries' rows are not returned),
    /// so the real rows and every gradient are those of <see cref="Self"/>.
    /// </summary>
    internal static Tensor SelfPacked(TransformerAttentionParams parameters, MaskedSequence x, Tensor packed, PackedTokens tokens, Tensor allowed, Tensor positions, double dropout, bool training, Generator generator)
    {
        CheckSequence(parameters, x, "x [batch, length, model]");
        var (batch, length) = (x.Values.shape[0], x.Values.shape[1]);
        CheckAllowed(parameters, allowed, batch, length, length);
        CheckPositions(parameters, positions, batch, length);
        using var scope = NewDisposeScope();
        var projected = tokens.Unpack(Project(packed, parameters.InProjWeight, parameters.InProjBias));
        var (q, k, v) = Heads(parameters, projected, positions);
        var visible = Visible(allowed, x.Mask, x.Mask);
        var heads = MaskedSdpa.Apply(q, k, v, visible, dropout, training, generator);
        var joined = tokens.Pack(heads.transpose(1, 2).reshape(batch, length, -1));
        return Linear.Apply(parameters.OutProj, joined).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One cached self-attention step: the new tokens <paramref name="x"/> [batch, n, model] (mask [batch, n]) at absolute
    /// slots <paramref name="offset"/>.. offset + n − 1 attend to the cache's slots and to each other as
    /// <paramref name="allowed"/> [batch, n, offset + n] says; returns their output and the cache extended by their keys
    /// and values. Running a sequence in steps from <see cref="KvCache.Empty(TransformerAttentionParams, long)"/> equals
    /// <see cref="Self"/> on the whole sequence with the matching rows of its mask.
    /// </summary>
    /// <exception cref="LayerInputException">The cache does not hold exactly <paramref name="offset"/> slots, or its batch, heads or head width differ from the layer's and x's; or any input check fails.</exception>
    public static AttentionStep Step(TransformerAttentionParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, KvCache cache, long offset, double dropout, bool training, Generator generator)
    {
        CheckSequence(parameters, x, "x [batch, new tokens, model]");
        CheckCache(parameters, x.Values, cache, offset);
        return Attend(parameters, x, allowed, positions, cache, offset, dropout, training, generator, zeroPadding: true);
    }

    /// <summary>
    /// Cross-attention of <paramref name="query"/> [batch, queries, model] over <paramref name="memory"/> [batch, keys,
    /// model] (which gives keys and values through the key and value rows of in_proj), as
    /// <see cref="Self"/> with <paramref name="allowed"/> [batch, queries, keys]; no rotary embedding (the two sequences'
    /// positions are unrelated). Pure.
    /// </summary>
    public static MaskedSequence Cross(TransformerAttentionParams parameters, MaskedSequence query, MaskedSequence memory, Tensor allowed, double dropout, bool training, Generator generator)
    {
        CheckSequence(parameters, query, "query [batch, queries, model]");
        CheckSequence(parameters, memory, "memory [batch, keys, model]");
        if (memory.Values.shape[0] != query.Values.shape[0])
            throw new LayerInputException(Layer, parameters, $"memory of batch {query.Values.shape[0]} (the query's)", Shapes.Describe(memory.Values));
        CheckAllowed(parameters, allowed, query.Values.shape[0], query.Values.shape[1], memory.Values.shape[1]);
        using var scope = NewDisposeScope();
        var model = parameters.InProjWeight.shape[1];
        var weights = parameters.InProjWeight.split(model, 0);
        var biases = parameters.InProjBias?.split(model, 0);
        var q = SplitHeads(Project(Masks.ZeroPadding(query.Values, query.Mask), weights[0], biases?[0]), parameters.Heads);
        var m = Masks.ZeroPadding(memory.Values, memory.Mask);
        var k = SplitHeads(Project(m, weights[1], biases?[1]), parameters.Heads);
        var v = SplitHeads(Project(m, weights[2], biases?[2]), parameters.Heads);
        var visible = Visible(allowed, query.Mask, memory.Mask);
        var output = Output(parameters, MaskedSdpa.Apply(q, k, v, visible, dropout, training, generator), query.Mask);
        var result = new MaskedSequence(output, query.Mask.alias());
        scope.MoveToOuter(result.Values, result.Mask);
        return result;
    }

    static AttentionStep Attend(TransformerAttentionParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, KvCache? cache, long offset, double dropout, bool training, Generator generator, bool zeroPadding)
    {
        var (batch, length) = (x.Values.shape[0], x.Values.shape[1]);
        CheckAllowed(parameters, allowed, batch, length, offset + length);
        CheckPositions(parameters, positions, batch, length);
        using var scope = NewDisposeScope();
        // Padded tokens are zeroed before the projection, so their keys and values are the (finite) bias: hidden from
        // every query by the mask, they get weight exactly 0, and no gradient reaches them.
        var projected = Project(zeroPadding ? Masks.ZeroPadding(x.Values, x.Mask) : x.Values, parameters.InProjWeight, parameters.InProjBias);
        var (q, k, v) = Heads(parameters, projected, positions);
        var keyMask = x.Mask;
        if (cache is not null)
        {
            k = cat([cache.Keys, k], 2);
            v = cat([cache.Values, v], 2);
            keyMask = cat([cache.Mask, x.Mask], 1);
        }
        var visible = Visible(allowed, x.Mask, keyMask);
        var output = Output(parameters, MaskedSdpa.Apply(q, k, v, visible, dropout, training, generator), zeroPadding ? x.Mask : null);
        // A full pass (no cache given) returns no cache: copying the keys and values would cost a full pass's memory.
        var next = cache is null ? null : new KvCache(k.contiguous(), v.contiguous(), keyMask.alias());
        var result = new AttentionStep(new MaskedSequence(output, x.Mask.alias()), next!);
        scope.MoveToOuter(result.Output.Values, result.Output.Mask);
        if (next is not null) scope.MoveToOuter(next.Keys, next.Values, next.Mask);
        return result;
    }

    /// <summary>Queries, keys and values [batch, heads, length, d] of the in-projection [batch, length, 3·model], rotated if the layer has a rotary embedding.</summary>
    static (Tensor Q, Tensor K, Tensor V) Heads(TransformerAttentionParams parameters, Tensor projected, Tensor positions)
    {
        // unbind, not three indexings: its backward stacks the three gradients once instead of adding three zero-padded copies.
        var qkv = projected.reshape(projected.shape[0], projected.shape[1], 3, parameters.Heads, -1).permute(2, 0, 3, 1, 4).unbind(0);
        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
        if (parameters.Rotary is { } rotary)
        {
            q = Rotary.Apply(q, positions, rotary);
            k = Rotary.Apply(k, positions, rotary);
        }
        return (q, k, v);
    }

    /// <summary>
    /// [batch, queries, keys]: what each query may see. Padded keys are hidden whatever the mask says. Padded queries
    /// see every real key (their output is zeroed after the projection, which also stops their gradient): so a batch
    /// has no query that sees nothing unless the caller's mask makes one, and the fused kernel takes the mask as it is.
    /// </summary>
    static Tensor Visible(Tensor allowed, Tensor queryMask, Tensor keyMask)
    {
        using var padded = queryMask.logical_not().unsqueeze(-1);
        using var widened = allowed.logical_or(padded);
        using var keys = keyMask.unsqueeze(1);
        return widened.logical_and(keys);
    }

    /// <summary>Joins the heads [batch, heads, length, d] and projects them; padded queries become zeros (unless no mask is given).</summary>
    static Tensor Output(TransformerAttentionParams parameters, Tensor heads, Tensor? mask)
    {
        var joined = heads.transpose(1, 2).reshape(heads.shape[0], heads.shape[2], -1);
        var projected = Linear.Apply(parameters.OutProj, joined);
        return mask is null ? projected : Masks.ZeroPadding(projected, mask);
    }

    static Tensor Project(Tensor x, Tensor weight, Tensor? bias) => nn.functional.linear(x, weight, bias);

    static Tensor SplitHeads(Tensor x, int heads) => x.reshape(x.shape[0], x.shape[1], heads, -1).transpose(1, 2);

    /// <summary>The check <see cref="Self"/> makes of its input first (rank, dtype, device, width, mask), for callers that reshape it before attending.</summary>
    internal static void CheckSelfInput(TransformerAttentionParams parameters, MaskedSequence x) => CheckSequence(parameters, x, "x [batch, length, model]");

    static void CheckSequence(TransformerAttentionParams parameters, MaskedSequence x, string meaning)
    {
        var model = parameters.InProjWeight.shape[1];
        InputChecks.Rank(Layer, parameters, x.Values, 3, meaning);
        InputChecks.SameDtypeAndDevice(Layer, parameters, x.Values, parameters.InProjWeight);
        InputChecks.LastDimension(Layer, parameters, x.Values, model);
        if (parameters.InProjWeight.shape[0] != 3 * model || model % parameters.Heads != 0)
            throw new LayerInputException(Layer, parameters, $"in_proj_weight [3·model, model] with model divisible by {parameters.Heads} heads", Shapes.Describe(parameters.InProjWeight));
        MaskChecks.Matches(Layer, parameters, x.Values, x.Mask);
    }

    static void CheckAllowed(TransformerAttentionParams parameters, Tensor allowed, long batch, long queries, long keys)
    {
        if (allowed.dtype != ScalarType.Bool || allowed.dim() != 3 || allowed.shape[0] != batch || allowed.shape[1] != queries || allowed.shape[2] != keys)
            throw new LayerInputException(Layer, parameters, $"an attention mask of dtype Bool and shape [{batch}, {queries}, {keys}] ([batch, query, key])", Shapes.Describe(allowed));
    }

    static void CheckPositions(TransformerAttentionParams parameters, Tensor positions, long batch, long length)
    {
        if (positions.dim() != 2 || positions.shape[0] != batch || positions.shape[1] != length || positions.is_floating_point() || positions.dtype == ScalarType.Bool)
            throw new LayerInputException(Layer, parameters, $"integer positions [{batch}, {length}] (x's batch and length)", Shapes.Describe(positions));
    }

    static void CheckCache(TransformerAttentionParams parameters, Tensor x, KvCache cache, long offset)
    {
        var headWidth = parameters.InProjWeight.shape[1] / parameters.Heads;
        long[] expected = [x.shape[0], parameters.Heads, offset, headWidth];
        if (!cache.Keys.shape.SequenceEqual(expected) || !cache.Values.shape.SequenceEqual(expected)
            || cache.Mask.dim() != 2 || cache.Mask.shape[0] != x.shape[0] || cache.Mask.shape[1] != offset || cache.Mask.dtype != ScalarType.Bool)
            throw new LayerInputException(Layer, parameters,
                $"a cache at offset {offset} for a batch of {x.shape[0]}: keys and values {Shapes.Format(expected)} and a Bool mask [{x.shape[0]}, {offset}]",
                $"a cache of {cache.Length} slots: keys {Shapes.Describe(cache.Keys)}, values {Shapes.Describe(cache.Values)}, mask {Shapes.Describe(cache.Mask)}");
        InputChecks.SameDtypeAndDevice(Layer, parameters, cache.Keys, parameters.InProjWeight);
    }
}
