using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>Masks as values: padding never reaches a real position, rows with nothing to see give zeros, the mask builders are what they say.</summary>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class TransformerMaskTests
{
    static MaskedSequence Zeroed(torch.Tensor values, torch.Tensor mask) => new(WithJunk(values, mask, torch.zeros(1, dtype: values.dtype)), mask);

    /// <summary>MaskInvariance passes for attention (self and cross), blocks (pre/post-norm, GELU/SwiGLU, rotary or not, causal or not), a stack, RmsNorm, SwiGLU and learned positions.</summary>
    [Property(MaxTest = 25)]
    public void Every_transformer_layer_passes_the_mask_invariance_check(Dim heads, Dim headHalf, bool causal, bool normFirst, bool swiGlu, bool rotary, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var (h, d) = (Math.Min((int)heads, 2), 2 * (int)headHalf);
        var model = h * d;
        var settings = rotary ? RotarySettings.Default : null;
        var options = MaskInvarianceOptions.Default with { Cases = 4, Features = model, Seed = seed, MaxLength = 5 };
        var generator = Rng(seed);

        var attention = TransformerAttention.Init(generator, model, h, settings, Cpu);
        Pass("self-attention", MaskInvariance.Check((TransformerAttentionParams p, torch.Tensor x, torch.Tensor m) =>
            TransformerAttention.Self(p, new MaskedSequence(x, m), AllowedFor(m, causal), Positions(m.shape[0], m.shape[1]), 0, false, generator), attention, options));
        Pass("cross-attention", MaskInvariance.Check((TransformerAttentionParams p, torch.Tensor x, torch.Tensor m) =>
            TransformerAttention.Cross(p, new MaskedSequence(x, m), new MaskedSequence(x.flip(1), m.flip(1)), AttentionMasks.Padding(m, m.flip(1)), 0, false, generator), attention, options));
        var block = TransformerBlock.Init(generator, model, h, 5, swiGlu, settings, NoDropout with { NormFirst = normFirst }, Cpu);
        Pass("block", MaskInvariance.Check((TransformerBlockParams p, torch.Tensor x, torch.Tensor m) =>
            TransformerBlock.Apply(p, new MaskedSequence(x, m), AllowedFor(m, causal), Positions(m.shape[0], m.shape[1]), false, generator), block, options));
        var stack = TransformerStack.Init(generator, 2, model, h, 4, swiGlu, settings, NoDropout with { NormFirst = normFirst }, true, Cpu);
        Pass("stack", MaskInvariance.Check((TransformerStackParams p, torch.Tensor x, torch.Tensor m) =>
            TransformerStack.Apply(p, new MaskedSequence(x, m), AllowedFor(m, causal), Positions(m.shape[0], m.shape[1]), false, generator), stack, options));
        Pass("RmsNorm", MaskInvariance.Check((RmsNormParams p, torch.Tensor x, torch.Tensor m) => Zeroed(RmsNorm.Apply(p, x), m), RmsNorm.Init(model, Cpu), options));
        Pass("SwiGlu", MaskInvariance.Check((SwiGluParams p, torch.Tensor x, torch.Tensor m) => Zeroed(SwiGlu.Apply(p, x), m), SwiGlu.Init(generator, model, 3, model, Cpu), options));
        Pass("LearnedPositions", MaskInvariance.Check((LearnedPositionsParams p, torch.Tensor x, torch.Tensor m) =>
            Zeroed(x.add(LearnedPositions.Apply(p, Positions(m.shape[0], m.shape[1])), Scalars.One), m), LearnedPositions.Init(generator, 16, model, Cpu), options));
    }

    static void Pass(string name, MaskInvarianceReport report) => Assert.True(report.Passed, $"{name}: {report}");

    /// <summary>A row that is all padding gives exactly zeros (finite gradients too); a real query whose mask hides every key gives finite values.</summary>
    [Property(MaxTest = 100)]
    public void All_padding_rows_give_zeros_never_NaN(Batch batch, Dim length, bool causal, bool normFirst, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var block = Block(seed, 2, 2, normFirst, false, RotarySettings.Default);
        var mask = RandomMask(generator, batch, length, holes: true, emptyRow: true);
        var x = WithJunk(Normal64(generator, batch, length, 4), mask, torch.tensor(double.NaN)).requires_grad_(true);
        var output = TransformerBlock.Apply(block, new MaskedSequence(x, mask), AllowedFor(mask, causal), Positions(batch, length), false, generator);
        AssertZero(output.Values[0], "the all-padding row");
        AssertZero(output.Values.masked_select(mask.logical_not().unsqueeze(-1).expand(output.Values.shape)), "padded positions");
        AssertFinite(output.Values, "the output");
        var gradient = torch.autograd.grad([output.Values.sum()], [x])[0];
        AssertFinite(gradient, "the input gradient");
        AssertZero(gradient[0], "the gradient of the all-padding row");

        // A real query that may see nothing (an all-false attention mask) gets the output bias: finite, no NaN.
        var real = torch.ones([batch, length], dtype: torch.@bool);
        var hidden = torch.zeros([batch, length, length], dtype: torch.@bool);
        var blind = TransformerAttention.Self(block.SelfAttn, new MaskedSequence(x.detach().nan_to_num(), real), hidden, Positions(batch, length), 0, false, generator);
        AssertClose(block.SelfAttn.OutProj.Bias!.expand(batch, length, 4).contiguous(), blind.Values, rtol: 0, atol: 0);
    }

    /// <summary>Replacing padded content with NaN or ±∞ and appending padding changes no real output of the block (causal or prefix-LM masks).</summary>
    [Property(MaxTest = 100)]
    public void Padding_never_reaches_a_real_position(Batch batch, Dim length, bool normFirst, bool swiGlu, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var block = Block(seed, 2, 2, normFirst, swiGlu, RotarySettings.Default);
        var mask = RandomMask(generator, batch, length, holes: true);
        var x = Normal64(generator, batch, length, 4);
        var clean = TransformerBlock.Apply(block, new MaskedSequence(x, mask), CausalFor(mask), Positions(batch, length), false, generator);
        var longMask = torch.cat([mask, torch.zeros([batch, 3], dtype: torch.@bool)], 1);
        foreach (var junk in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var longX = WithJunk(torch.cat([x, torch.zeros([batch, 3, 4], dtype: torch.float64)], 1), longMask, torch.tensor(junk));
            var dirty = TransformerBlock.Apply(block, new MaskedSequence(longX, longMask), CausalFor(longMask), Positions(batch, length + 3), false, generator);
            AssertClose(clean.Values, dirty.Values[.., ..(int)length], rtol: 1e-12, atol: 1e-12);
            AssertZero(dirty.Values[.., (int)length..], "appended padding");
        }
    }

    /// <summary>The prefix-LM mask is the UniLM rule written element by element, and Causal at offset t is rows t.. of the full causal mask.</summary>
    [Property(MaxTest = 200)]
    public void Mask_builders_match_their_element_rules(Batch batch, Dim length, Dim offset, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        long L = length;
        var sources = new long[batch];
        var targets = new long[batch];
        for (var b = 0; b < batch; b++)
        {
            sources[b] = torch.randint(0, L + 1, [1], generator: generator).item<long>();
            targets[b] = torch.randint(0, L - sources[b] + 1, [1], generator: generator).item<long>();
        }
        var prefix = AttentionMasks.PrefixLm(torch.tensor(sources), torch.tensor(targets), L);
        for (var b = 0; b < batch; b++)
            for (var i = 0; i < L; i++)
                for (var j = 0; j < L; j++)
                {
                    var n = sources[b] + targets[b];
                    var expected = i < n && j < n && (j < sources[b] || j <= i);
                    Assert.True(expected == prefix[b, i, j].item<bool>(), $"row {b} (source {sources[b]}, target {targets[b]}): query {i}, key {j}");
                }
        var full = AttentionMasks.Causal(batch, L + offset, L + offset, 0, Cpu);
        Assert.True(Same.Bitwise(full[.., (int)offset.Value.., ..], AttentionMasks.Causal(batch, L, L + offset, offset, Cpu)));
        Assert.Throws<ArgumentException>(() => AttentionMasks.PrefixLm(torch.tensor(new long[] { L }), torch.tensor(new long[] { 1 }), L));
        Assert.Throws<ArgumentException>(() => AttentionMasks.Combine(prefix, torch.ones([batch, L, L + 1], dtype: torch.@bool)));
    }
}
