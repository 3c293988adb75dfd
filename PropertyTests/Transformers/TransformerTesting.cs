using Functional.Core;
using TorchSharp;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>Shared builders of the transformer properties: float64 layers, positions, masks.</summary>
public static class TransformerTesting
{
    /// <summary>No dropout: the laws compare deterministic passes.</summary>
    public static readonly TransformerBlockSettings NoDropout = TransformerBlockSettings.Default with { Dropout = 0, AttentionDropout = 0 };

    /// <summary>Every floating leaf as a float64 copy.</summary>
    public static T ToDouble<T>(T tree) => Tree.Map(tree, leaf => leaf.detach().to(torch.float64).clone());

    /// <summary>[batch, length] Int64 positions 0..length-1 in every row.</summary>
    public static torch.Tensor Positions(long batch, long length) => Ranges.Of(length, Cpu).unsqueeze(0).expand(batch, length).contiguous();

    /// <summary>The causal mask combined with padding of <paramref name="mask"/> [batch, length].</summary>
    public static torch.Tensor CausalFor(torch.Tensor mask) =>
        AttentionMasks.Combine(AttentionMasks.Causal(mask.shape[0], mask.shape[1], mask.shape[1], 0, Cpu), AttentionMasks.Padding(mask, mask));

    /// <summary>The bidirectional (padding-only) mask of <paramref name="mask"/>, or the causal one.</summary>
    public static torch.Tensor AllowedFor(torch.Tensor mask, bool causal) => causal ? CausalFor(mask) : AttentionMasks.Padding(mask, mask);

    /// <summary>A block in float64 of width heads·headWidth.</summary>
    public static TransformerBlockParams Block(int seed, int heads, int headWidth, bool normFirst, bool swiGlu, RotarySettings? rotary) =>
        ToDouble(TransformerBlock.Init(Rng(seed), heads * headWidth, heads, 3, swiGlu, rotary, NoDropout with { NormFirst = normFirst }, Cpu));
}
