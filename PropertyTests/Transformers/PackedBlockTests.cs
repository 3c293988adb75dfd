using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>
/// A block's full pass runs its position-wise parts on the real tokens only; a cached step from an empty cache runs the
/// same block on the padded layout. The two are one function: same outputs, same gradients, same dropout draws.
/// </summary>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class PackedBlockTests
{
    /// <summary>
    /// Apply equals one Step from an empty cache (float64, 1e-10) in values and in the gradients of every parameter and of
    /// the input, pre- and post-norm, GELU or SwiGLU, causal or bidirectional, with holes and all-padding rows, evaluating
    /// or training with dropout drawn from generators of the same seed (so the same masks).
    /// </summary>
    [Property(MaxTest = 60)]
    public void The_packed_full_pass_equals_the_padded_pass(Batch batch, Dim length, bool normFirst, bool swiGlu, bool causal, bool training, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var settings = TransformerBlockSettings.Default with { NormFirst = normFirst, Dropout = training ? 0.3 : 0, AttentionDropout = training ? 0.2 : 0 };
        var block = ToDouble(TransformerBlock.Init(generator, 4, 2, 6, swiGlu, RotarySettings.Default, settings, Cpu));
        var mask = RandomMask(generator, batch, length, holes: true, emptyRow: batch > 1);
        var x = WithJunk(Normal64(generator, batch, length, 4), mask, torch.tensor(double.NaN));
        var allowed = AllowedFor(mask, causal);
        var positions = Positions(batch, length);
        var weights = Normal64(generator, batch, length, 4);

        (torch.Tensor Output, torch.Tensor[] Gradients) Run(bool padded)
        {
            var leaves = Tree.Leaves(block).Select(leaf => leaf.detach().requires_grad_(true)).ToArray();
            var input = x.detach().requires_grad_(true);
            var p = Tree.Unflatten(block, leaves);
            var sequence = new MaskedSequence(input, mask);
            var output = padded
                ? TransformerBlock.Step(p, sequence, allowed, positions, KvCache.Empty(p.SelfAttn, batch), 0, training, Rng(seed + 1)).Output.Values
                : TransformerBlock.Apply(p, sequence, allowed, positions, training, Rng(seed + 1)).Values;
            return (output.detach(), [.. torch.autograd.grad([output.mul(weights).sum()], [.. leaves, input])]);
        }

        var (packed, packedGradients) = Run(padded: false);
        var (reference, referenceGradients) = Run(padded: true);
        AssertClose(reference, packed, rtol: 1e-10, atol: 1e-10);
        AssertZero(packed.masked_select(mask.logical_not().unsqueeze(-1).expand(packed.shape)), "padded positions");
        for (var i = 0; i < packedGradients.Length; i++)
        {
            AssertFinite(packedGradients[i], $"gradient {i}");
            AssertClose(referenceGradients[i], packedGradients[i], rtol: 1e-10, atol: 1e-10);
        }
    }
}
