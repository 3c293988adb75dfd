using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;

namespace Functional.PropertyTests.Sequences;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class MaskedEmbeddingAndConvTests
{
    [Property(MaxTest = 150)]
    public void MaskedEmbedding_masks_pad_ids_only_zeros_them_and_sends_them_no_gradient(Batch batch, Dim length, Dim dimension, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Embedding.Init(generator, 5, dimension, Cpu);
        var ids = torch.randint(0, 5, [batch, length], generator: generator);
        var result = MaskedEmbedding.Apply(p, ids);
        Assert.True(Same.Bitwise(ids.ne(Scalars.Zero), result.Mask));
        var expected = Embedding.Apply(p, ids).masked_fill(ids.eq(Scalars.Zero).unsqueeze(-1), Scalars.Zero);
        Assert.True(Same.Bitwise(expected, result.Values));
        var weights = Normal(generator, batch, length, dimension);
        var gradient = Autodiff.ValueAndGrad(q => (MaskedEmbedding.Apply(q, ids).Values * weights).sum(), p).Gradient.Weight;
        AssertZero(gradient[0], "gradient of the pad row");
        using var unknownId = Masks.UnknownId.ToScalar();
        if (ids.eq(unknownId).any().item<bool>()) Assert.True(result.Mask.masked_select(ids.eq(unknownId)).all().item<bool>());
    }

    [Fact]
    public void MaskedEmbedding_refuses_ids_that_are_not_batch_by_length()
    {
        using var scope = torch.NewDisposeScope();
        var p = Embedding.Init(Rng(0), 4, 2, Cpu);
        Assert.Throws<LayerInputException>(() => MaskedEmbedding.Apply(p, torch.zeros(3, dtype: torch.int64)));
        Assert.Throws<LayerInputException>(() => MaskedEmbedding.Apply(p, torch.zeros(2, 3)));
    }

    static Conv1dParams MakeConv(torch.Generator generator, int inChannels, int outChannels, int kernel, int config) =>
        Conv1d.Init(generator, inChannels, outChannels, kernel, Cpu) with
        {
            Stride = 1 + (config & 0xff) % 3,
            Padding = (config >> 8 & 0xff) % 3,
            Dilation = 1 + (config >> 16 & 0xff) % 2,
        };

    [Property(MaxTest = 100)]
    public void MaskedConv1d_passes_the_mask_invariance_check(Dim inChannels, Dim outChannels, Dim kernel, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = MakeConv(Rng(seed), inChannels, outChannels, Math.Min(kernel, 3), config);
        var span = p.Dilation * (p.Weight.shape[2] - 1) + 1;
        var minimum = (int)Math.Max(1, span - 2 * p.Padding);
        var options = MaskInvarianceOptions.Default with { Cases = 3, Features = inChannels, Seed = seed, MaxLength = minimum + 4 };
        // The convolution refuses sequences shorter than one window, so the layer under test pads the batch up to that length.
        MaskedSequence Layer(Conv1dParams q, torch.Tensor x, torch.Tensor m) =>
            x.shape[1] >= minimum
                ? MaskedConv1d.Apply(q, x, m)
                : MaskedConv1d.Apply(q, torch.cat([x, torch.zeros([x.shape[0], minimum - x.shape[1], x.shape[2]], dtype: x.dtype)], 1),
                    torch.cat([m, torch.zeros([m.shape[0], minimum - m.shape[1]], dtype: torch.@bool)], 1));
        var report = MaskInvariance.Check(Layer, p, options);
        Assert.True(report.Passed, report.ToString());
    }

    [Property(MaxTest = 100)]
    public void MaskedConv1d_real_outputs_equal_the_convolution_of_each_row_cut_after_its_last_real_token(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, Dim extra, int config, bool holes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = MakeConv(generator, inChannels, outChannels, Math.Min(kernel, 3), config);
        var span = p.Dilation * (p.Weight.shape[2] - 1) + 1;
        var length = Math.Max(1, span - 2 * p.Padding) + extra;
        var mask = RandomMask(generator, batch, length, holes);
        var x = Normal(generator, batch, length, inChannels);
        var result = MaskedConv1d.Apply(p, x, mask);
        AssertZero(result.Values.masked_select(result.Mask.logical_not().unsqueeze(-1).expand(result.Values.shape)), "padded outputs");
        for (var b = 0; b < batch; b++)
        {
            var real = mask[b].nonzero();
            var cut = real.numel() == 0 ? 0 : real.max().item<long>() + 1;
            var outCount = cut + 2 * p.Padding >= span ? (cut + 2 * p.Padding - span) / p.Stride + 1 : 0;
            Assert.Equal(outCount, result.Mask[b].sum().item<long>());
            Assert.True(result.Mask[b, ..(int)outCount].all().item<bool>(), $"row {b}: the real outputs are not a prefix");
            if (outCount == 0) continue;
            var row = x[b, ..(int)cut].masked_fill(mask[b, ..(int)cut].logical_not().unsqueeze(-1), Scalars.Zero).unsqueeze(0).transpose(1, 2);
            var expected = torch.nn.functional.conv1d(row, p.Weight, p.Bias, p.Stride, p.Padding, p.Dilation).transpose(1, 2)[0];
            AssertClose(expected, result.Values[b, ..(int)outCount], atol: 1e-5);
        }
    }

    [Property(MaxTest = 30)]
    public void MaskedConv1d_passes_GradCheck(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = MakeConv(generator, inChannels, outChannels, Math.Min(kernel, 3), config);
        var length = p.Dilation * (p.Weight.shape[2] - 1) + 3;
        var mask = RandomMask(generator, batch, length, holes: true, emptyRow: true);
        var x = Normal64(generator, batch, length, inChannels);
        var outputs = MaskedConv1d.Apply(p, x.to(torch.float32), mask).Values.shape;
        var w = Normal64(generator, outputs);
        AssertGradCheckPasses(q => (MaskedConv1d.Apply(q, x, mask).Values * w).sum(), p);
    }

    [Fact]
    public void MaskedConv1d_refuses_masks_of_the_wrong_shape_or_dtype()
    {
        using var scope = torch.NewDisposeScope();
        var p = Conv1d.Init(Rng(0), 2, 2, 1, Cpu);
        var x = torch.zeros(2, 4, 2);
        Assert.Throws<LayerInputException>(() => MaskedConv1d.Apply(p, x, torch.ones(2, 4)));
        Assert.Throws<LayerInputException>(() => MaskedConv1d.Apply(p, x, torch.ones([2, 5], dtype: torch.@bool)));
        Assert.Throws<LayerInputException>(() => MaskedConv1d.Apply(p, x, torch.ones([4], dtype: torch.@bool)));
    }
}
