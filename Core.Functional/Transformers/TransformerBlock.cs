using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The parameters of a transformer block, named as PyTorch's <c>nn.TransformerEncoderLayer</c> (so its state dict loads
/// with <c>strict=True</c>): <c>self_attn/…</c>, <c>linear1</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>.
/// </summary>
/// <param name="SelfAttn">The self-attention (PyTorch's <c>self_attn</c>).</param>
/// <param name="Linear1">model → hidden (SwiGLU: the linear "up" branch).</param>
/// <param name="Linear2">hidden → model.</param>
/// <param name="Gate">null for a GELU/ReLU block; for SwiGLU the gate model → hidden (through SiLU). PyTorch has no such leaf.</param>
/// <param name="Norm1">Before attention (pre-norm) or after its residual (post-norm).</param>
/// <param name="Norm2">Before the feed-forward layer (pre-norm) or after its residual (post-norm).</param>
/// <param name="Settings">Norm placement, activation and dropout rates: configuration.</param>
public sealed record TransformerBlockParams(
    [property: TreeName("self_attn")] TransformerAttentionParams SelfAttn,
    LinearParams Linear1,
    LinearParams Linear2,
    LinearParams? Gate,
    LayerNormParams Norm1,
    LayerNormParams Norm2,
    TransformerBlockSettings Settings);

/// <summary>
/// A transformer block: self-attention and a feed-forward layer, each with a residual connection and a layer norm,
/// pre-norm by default. Full passes (<see cref="Apply"/>) and cached incremental steps (<see cref="Step"/>).
/// </summary>
/// <remarks>
/// Padded positions never reach a real position and the output there is zeros. A full pass (<see cref="Apply"/>) runs
/// the norms, projections, feed-forward layer, residuals and dropout on the real tokens only (gathered into rows, never
/// reading padded content) and attention on the padded layout; a cached step (<see cref="Step"/>) zeroes padded positions
/// on the way in and on the way out. The two agree (the same operations on the same values at real tokens, the same
/// dropout draws). Dropout (residual branches, feed-forward hidden layer, attention weights) is active only
/// while training and draws from the explicit generator; a rate of 0 draws nothing. Errors are
/// <see cref="LayerInputException"/>s naming the layer and both shapes (the path through <see cref="LayerPaths.Resolve{TParams,TResult}"/>).
/// </remarks>
public static class TransformerBlock
{
    /// <summary>
    /// A block of width <paramref name="model"/>, <paramref name="heads"/> heads and a feed-forward layer of
    /// <paramref name="hidden"/> units, float32 on <paramref name="device"/>: attention as <see cref="TransformerAttention.Init"/>,
    /// then (SwiGLU only) the gate, then linear1 and linear2 as <see cref="Linear.Init"/> (the gate without bias draws like
    /// <see cref="Linear.InitWithoutBias"/>), norms as <see cref="LayerNorm.Init"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or heads do not divide the width (or rotary with an odd head width).</exception>
    public static TransformerBlockParams Init(Generator generator, int model, int heads, int hidden, bool swiGlu, RotarySettings? rotary, TransformerBlockSettings settings, Device device)
    {
        var attention = TransformerAttention.Init(generator, model, heads, rotary, device);
        var gate = swiGlu ? Linear.Init(generator, model, hidden, device) : null;
        var linear1 = Linear.Init(generator, model, hidden, device);
        var linear2 = Linear.Init(generator, hidden, model, device);
        return new(attention, linear1, linear2, gate, LayerNorm.Init(model, device), LayerNorm.Init(model, device), settings);
    }

    /// <summary>
    /// The block over <paramref name="x"/> [batch, length, model] with its mask: attention as <paramref name="allowed"/>
    /// [batch, length, length] lets each query see (build it with <see cref="AttentionMasks"/>; padding is hidden anyway),
    /// rotary positions from <paramref name="positions"/> [batch, length]. Returns [batch, length, model] with x's mask. Pure.
    /// </summary>
    public static MaskedSequence Apply(TransformerBlockParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, bool training, Generator generator) =>
        Run(parameters, x, allowed, positions, null, 0, training, generator).Output;

    /// <summary>
    /// One cached step over the new tokens <paramref name="x"/> [batch, n, model] at slots <paramref name="offset"/> to
    /// offset + n − 1, with <paramref name="allowed"/> [batch, n, offset + n] and <paramref name="cache"/> holding offset
    /// slots: the new tokens' output and the cache extended by them (see <see cref="TransformerAttention.Step"/>). Steps
    /// from an empty cache equal <see cref="Apply"/> on the whole sequence.
    /// </summary>
    /// <exception cref="LayerInputException">The cache is at another offset or of another shape, or an input check fails.</exception>
    public static AttentionStep Step(TransformerBlockParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, KvCache cache, long offset, bool training, Generator generator) =>
        Run(parameters, x, allowed, positions, cache, offset, training, generator);

    static AttentionStep Run(TransformerBlockParams p, MaskedSequence x, Tensor allowed, Tensor positions, KvCache? cache, long offset, bool training, Generator generator)
    {
        MaskChecks.Matches(nameof(TransformerBlock), p, x.Values, x.Mask);
        if (cache is null)
        {
            using var packScope = NewDisposeScope();
            var tokens = PackedTokens.Of(x.Mask);
            if (tokens.Count > 0)
            {
                var packed = new AttentionStep(new MaskedSequence(Packed(p, x, tokens, allowed, positions, training, generator), x.Mask.alias()), null!);
                packScope.MoveToOuter(packed.Output.Values, packed.Output.Mask);
                return packed;
            }
        }
        using var scope = NewDisposeScope();
        var s = p.Settings;
        var input = Masks.ZeroPadding(x.Values, x.Mask);
        AttentionStep Attend(Tensor h)
        {
            var sequence = new MaskedSequence(h, x.Mask);
            return cache is null
                // h is finite at padded tokens (zeros, or a norm of zeros) and the block zeroes them on the way out.
                ? new AttentionStep(TransformerAttention.SelfOverFinitePadding(p.SelfAttn, sequence, allowed, positions, s.AttentionDropout, training, generator), null!)
                : TransformerAttention.Step(p.SelfAttn, sequence, allowed, positions, cache, offset, s.AttentionDropout, training, generator);
        }
        AttentionStep attended;
        Tensor output;
        if (s.NormFirst)
        {
            attended = Attend(LayerNorm.Apply(p.Norm1, input));
            var h = input.add(Drop(attended.Output.Values, s.Dropout, training, generator), Scalars.One);
            output = h.add(Drop(FeedForward(p, LayerNorm.Apply(p.Norm2, h), training, generator), s.Dropout, training, generator), Scalars.One);
        }
        else
        {
            attended = Attend(input);
            var h = LayerNorm.Apply(p.Norm1, input.add(Drop(attended.Output.Values, s.Dropout, training, generator), Scalars.One));
            output = LayerNorm.Apply(p.Norm2, h.add(Drop(FeedForward(p, h, training, generator), s.Dropout, training, generator), Scalars.One));
        }
        // The output is finite at padded tokens (it comes from zeros), so a product with the 0/1 mask zeroes them: one
        // vectorized pass forward and backward, where a masked fill is several times slower.
        var real = x.Mask.unsqueeze(-1).to(output.dtype);
        var result = new AttentionStep(new MaskedSequence(output.mul(real), x.Mask.alias()), attended.Cache);
        scope.MoveToOuter(result.Output.Values, result.Output.Mask);
        if (result.Cache is not null) scope.MoveToOuter(result.Cache.Keys, result.Cache.Values, result.Cache.Mask);
        return result;
    }

    /// <summary>
    /// A full pass with at least one real token: every position-wise part (norms, projections, feed-forward layer,
    /// residuals, dropout) runs on the real tokens only (<see cref="PackedTokens"/>), attention on the padded layout.
    /// The same operations in the same order as the padded pass, on the same values at real tokens, with the same dropout
    /// draws; padded tokens are never read (so need no zeroing on the way in) and come out as exact zeros.
    /// </summary>
    static Tensor Packed(TransformerBlockParams p, MaskedSequence x, PackedTokens tokens, Tensor allowed, Tensor positions, bool training, Generator generator)
    {
        var s = p.Settings;
        if (s.NormFirst)
        {
            // The checks the padded pass meets first (norm1 sees the input before attention does), on the padded shape.
            InputChecks.MinimumRank(nameof(LayerNorm), p.Norm1, x.Values, 1, "[..., features]");
            InputChecks.SameDtypeAndDevice(nameof(LayerNorm), p.Norm1, x.Values, p.Norm1.Weight);
            InputChecks.LastDimension(nameof(LayerNorm), p.Norm1, x.Values, p.Norm1.Weight.shape[0]);
        }
        else TransformerAttention.CheckSelfInput(p.SelfAttn, x);
        var input = tokens.Pack(x.Values);
        Tensor Attend(Tensor h) => TransformerAttention.SelfPacked(p.SelfAttn, x, h, tokens, allowed, positions, s.AttentionDropout, training, generator);
        Tensor Drop(Tensor h) => tokens.Drop(h, s.Dropout, training, generator);
        Tensor output;
        if (s.NormFirst)
        {
            var h = input.add(Drop(Attend(LayerNorm.Apply(p.Norm1, input))), Scalars.One);
            output = h.add(Drop(FeedForward(p, LayerNorm.Apply(p.Norm2, h), hidden => tokens.Drop(hidden, s.Dropout, training, generator))), Scalars.One);
        }
        else
        {
            var h = LayerNorm.Apply(p.Norm1, input.add(Drop(Attend(input)), Scalars.One));
            output = LayerNorm.Apply(p.Norm2, h.add(Drop(FeedForward(p, h, hidden => tokens.Drop(hidden, s.Dropout, training, generator))), Scalars.One));
        }
        return tokens.Unpack(output);
    }

    static Tensor FeedForward(TransformerBlockParams p, Tensor x, bool training, Generator generator) =>
        FeedForward(p, x, hidden => Drop(hidden, p.Settings.Dropout, training, generator));

    static Tensor FeedForward(TransformerBlockParams p, Tensor x, Func<Tensor, Tensor> drop)
    {
        var up = Linear.Apply(p.Linear1, x);
        var hidden = p.Gate is null ? Activations.Apply(p.Settings.Activation, up) : SwiGlu.Gated(Linear.Apply(p.Gate, x), up);
        return Linear.Apply(p.Linear2, drop(hidden));
    }

    // The same masks as Dropout.Apply from the same draws, applied as one product (the block's values are finite).
    static Tensor Drop(Tensor x, double rate, bool training, Generator generator) =>
        Dropout.ApplyToFinite(x, rate, training, generator);
}
