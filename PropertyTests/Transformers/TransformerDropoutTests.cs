using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>Training with dropout (attention weights, residuals, feed-forward) draws only from the explicit generator.</summary>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class TransformerDropoutTests
{
    static TransformerBlockParams Dropping(int seed, bool normFirst, bool causal) =>
        ToDouble(TransformerBlock.Init(Rng(seed), 4, 2, 6, false, RotarySettings.Default, TransformerBlockSettings.Default with { NormFirst = normFirst, Dropout = 0.3, AttentionDropout = 0.4 }, Cpu));

    /// <summary>
    /// The same generator seed gives the same bits, another seed other values; padded positions and all-padding rows are
    /// zeros and everything is finite; and GradCheck passes with the dropout masks fixed by a fresh generator per call.
    /// </summary>
    [Property(MaxTest = 40)]
    public void Dropout_is_reproducible_from_the_generator_and_keeps_padding_and_gradients_right(Batch batch, Dim length, bool normFirst, bool causal, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var block = Dropping(seed, normFirst, causal);
        var mask = RandomMask(generator, batch, length, holes: true, emptyRow: true);
        var x = WithJunk(Normal64(generator, batch, length, 4), mask, torch.tensor(double.NaN));
        var allowed = AllowedFor(mask, causal);
        var positions = Positions(batch, length);
        torch.Tensor Run(TransformerBlockParams p, int draw) => TransformerBlock.Apply(p, new MaskedSequence(x, mask), allowed, positions, true, Rng(draw)).Values;

        var first = Run(block, 11);
        Assert.True(Same.Bitwise(first, Run(block, 11)), "the same seed gave other bits");
        AssertFinite(first, "the training output");
        AssertZero(first.masked_select(mask.logical_not().unsqueeze(-1).expand(first.shape)), "padded positions");
        var evaluation = TransformerBlock.Apply(block, new MaskedSequence(x, mask), allowed, positions, false, Rng(11)).Values;
        if (mask.sum().item<long>() >= 2)
            Assert.False(Run(block, 12).allclose(Run(block, 11)) && first.allclose(evaluation), "dropout changed nothing");
        var w = Normal64(generator, batch, length, 4);
        AssertGradCheckPasses(p => Run(p, 13).mul(w).sum(), block);
    }
}
