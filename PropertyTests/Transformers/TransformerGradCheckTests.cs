using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>Analytic gradients agree with finite differences (GradCheck) for every new layer, masks with holes and empty rows included.</summary>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class TransformerGradCheckTests
{
    [Property(MaxTest = 20)]
    public void GradCheck_passes_for_every_transformer_layer(Batch batch, Dim length, bool causal, bool normFirst, bool swiGlu, bool rotary, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var settings = rotary ? RotarySettings.Default : null;
        var mask = RandomMask(generator, batch, length, holes: true, emptyRow: true);
        var x = Normal64(generator, batch, length, 4);
        var w = Normal64(generator, batch, length, 4);
        var allowed = AllowedFor(mask, causal);
        var positions = Positions(batch, length);
        var sequence = new MaskedSequence(x, mask);

        AssertGradCheckPasses(p => TransformerAttention.Self(p, sequence, allowed, positions, 0, false, generator).Values.mul(w).sum(),
            TransformerAttention.Init(generator, 4, 2, settings, Cpu));
        AssertGradCheckPasses(p => TransformerAttention.Cross(p, sequence, new MaskedSequence(x.flip(1), mask.flip(1)), AttentionMasks.Padding(mask, mask.flip(1)), 0, false, generator).Values.mul(w).sum(),
            TransformerAttention.Init(generator, 4, 2, null, Cpu));
        AssertGradCheckPasses(p => TransformerBlock.Apply(p, sequence, allowed, positions, false, generator).Values.mul(w).sum(),
            TransformerBlock.Init(generator, 4, 2, 3, swiGlu, settings, NoDropout with { NormFirst = normFirst }, Cpu));
        AssertGradCheckPasses(p => TransformerStack.Apply(p, sequence, allowed, positions, false, generator).Values.mul(w).sum(),
            TransformerStack.Init(generator, 2, 4, 2, 3, swiGlu, settings, NoDropout with { NormFirst = normFirst }, true, Cpu));
        AssertGradCheckPasses(p => RmsNorm.Apply(p, x).mul(w).sum(), RmsNorm.Init(4, Cpu) with { Weight = torch.rand(4, generator: generator) });
        AssertGradCheckPasses(p => SwiGlu.Apply(p, x).mul(w).sum(), SwiGlu.Init(generator, 4, 3, 4, Cpu));
        AssertGradCheckPasses(p => LearnedPositions.Apply(p, positions).mul(w).sum(), LearnedPositions.Init(generator, 8, 4, Cpu));
        // Rotary has no parameters: check it through a linear layer in front of it.
        AssertGradCheckPasses(p => Rotary.Apply(Linear.Apply(p, x).unsqueeze(1), positions, RotarySettings.Default with { Layout = rotary ? RotaryLayout.HalfSplit : RotaryLayout.Interleaved }).squeeze(1).mul(w).sum(),
            Linear.Init(generator, 4, 4, Cpu));
    }
}
