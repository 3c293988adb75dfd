using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// A stack of transformer blocks, named as PyTorch's <c>nn.TransformerEncoder</c>: <c>layers/{k}/…</c> and, when present,
/// the final <c>norm</c> (pre-norm stacks need one).
/// </summary>
/// <param name="Layers">The blocks, applied in order.</param>
/// <param name="Norm">A layer norm after the last block, or null for none.</param>
public sealed record TransformerStackParams(TransformerBlockParams[] Layers, LayerNormParams? Norm);

/// <summary>The caches of a stack's blocks, one per block, as a value.</summary>
/// <param name="Layers">Block k's cache.</param>
public sealed record TransformerStackCache(KvCache[] Layers)
{
    /// <summary>How many slots each block's cache holds (the offset of the next step).</summary>
    public long Length => Layers.Length == 0 ? 0 : Layers[0].Length;

    /// <summary>Every block's cache restricted to <paramref name="rows"/> (see <see cref="KvCache.Select"/>): for beam search.</summary>
    public TransformerStackCache Select(Tensor rows) => new([.. Layers.Select(layer => layer.Select(rows))]);

    /// <summary>An empty cache for <paramref name="batch"/> rows of <paramref name="parameters"/>' blocks.</summary>
    public static TransformerStackCache Empty(TransformerStackParams parameters, long batch) =>
        new([.. parameters.Layers.Select(layer => KvCache.Empty(layer.SelfAttn, batch))]);
}

/// <summary>The output of a cached stack step and the stack's next cache.</summary>
/// <param name="Output">[batch, new tokens, model] with the new tokens' mask.</param>
/// <param name="Cache">The caches extended by the new tokens.</param>
public sealed record TransformerStackStep(MaskedSequence Output, TransformerStackCache Cache);

/// <summary>Blocks applied in order, then the optional final norm; full passes and cached steps.</summary>
public static class TransformerStack
{
    /// <summary>
    /// <paramref name="layers"/> blocks as <see cref="TransformerBlock.Init"/> (drawn in order) and, with
    /// <paramref name="finalNorm"/>, a final <see cref="LayerNorm"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 (see <see cref="TransformerBlock.Init"/>).</exception>
    public static TransformerStackParams Init(Generator generator, int layers, int model, int heads, int hidden, bool swiGlu, RotarySettings? rotary, TransformerBlockSettings settings, bool finalNorm, Device device)
    {
        Initializers.Positive(layers, nameof(layers));
        var blocks = new TransformerBlockParams[layers];
        for (var k = 0; k < layers; k++) blocks[k] = TransformerBlock.Init(generator, model, heads, hidden, swiGlu, rotary, settings, device);
        return new(blocks, finalNorm ? LayerNorm.Init(model, device) : null);
    }

    /// <summary>Every block's <see cref="TransformerBlock.Apply"/> in order with the same mask and positions, then the final norm (padded positions stay zeros). Pure.</summary>
    public static MaskedSequence Apply(TransformerStackParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, bool training, Generator generator)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var block in parameters.Layers) h = TransformerBlock.Apply(block, h, allowed, positions, training, generator);
        var result = new MaskedSequence(Final(parameters, h), x.Mask.alias());
        scope.MoveToOuter(result.Values, result.Mask);
        return result;
    }

    /// <summary>
    /// Every block's <see cref="TransformerBlock.Step"/> with its own cache, then the final norm: the new tokens' output and
    /// the next cache. Steps from <see cref="TransformerStackCache.Empty"/> equal <see cref="Apply"/> on the whole sequence.
    /// </summary>
    /// <exception cref="LayerInputException">The cache has another number of blocks, or a block's cache is at another offset or of another shape.</exception>
    public static TransformerStackStep Step(TransformerStackParams parameters, MaskedSequence x, Tensor allowed, Tensor positions, TransformerStackCache cache, long offset, bool training, Generator generator)
    {
        if (cache.Layers.Length != parameters.Layers.Length)
            throw new LayerInputException(nameof(TransformerStack), parameters, $"a cache of {parameters.Layers.Length} blocks", $"a cache of {cache.Layers.Length} blocks");
        using var scope = NewDisposeScope();
        var h = x;
        var caches = new KvCache[parameters.Layers.Length];
        for (var k = 0; k < caches.Length; k++)
        {
            var step = TransformerBlock.Step(parameters.Layers[k], h, allowed, positions, cache.Layers[k], offset, training, generator);
            (h, caches[k]) = (step.Output, step.Cache);
        }
        var result = new TransformerStackStep(new MaskedSequence(Final(parameters, h), x.Mask.alias()), new TransformerStackCache(caches));
        scope.MoveToOuter(result.Output.Values, result.Output.Mask);
        foreach (var c in caches) scope.MoveToOuter(c.Keys, c.Values, c.Mask);
        return result;
    }

    static Tensor Final(TransformerStackParams parameters, MaskedSequence h) =>
        parameters.Norm is null ? h.Values.alias() : Masks.ZeroPadding(LayerNorm.Apply(parameters.Norm, h.Values), h.Mask);
}
