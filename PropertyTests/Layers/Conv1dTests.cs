using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class Conv1dTests
{
    /// <summary>A convolution with stride 1..3, padding 0..2 and dilation 1..2 chosen from <paramref name="config"/>.</summary>
    static Conv1dParams Make(torch.Generator generator, int inChannels, int outChannels, int kernel, int config, bool withBias)
    {
        var parameters = Conv1d.Init(generator, inChannels, outChannels, kernel, Cpu) with
        {
            Stride = 1 + (config & 0xff) % 3,
            Padding = (config >> 8 & 0xff) % 3,
            Dilation = 1 + (config >> 16 & 0xff) % 2,
        };
        return withBias ? parameters : parameters with { Bias = null };
    }

    /// <summary>The shortest length the layer accepts, plus <paramref name="extra"/>.</summary>
    static long Length(Conv1dParams p, long extra) => Math.Max(1, p.Dilation * (p.Weight.shape[2] - 1) + 1 - 2 * p.Padding) + extra;

    [Property(MaxTest = 200)]
    public void Agrees_with_nn_Conv1d_on_the_channels_first_transpose(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, Dim extra, int config, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Make(generator, inChannels, outChannels, kernel, config, withBias);
        var length = Length(p, extra - 1);
        var x = Normal(generator, batch, length, inChannels);
        using var module = torch.nn.Conv1d(inChannels, outChannels, kernel, p.Stride, p.Padding, p.Dilation, bias: withBias);
        CopyInto(module.weight, p.Weight);
        if (withBias) CopyInto(module.bias, p.Bias!);

        var y = Conv1d.Apply(p, x);
        var newLength = (length + 2 * p.Padding - p.Dilation * (kernel - 1) - 1) / p.Stride + 1;
        Assert.Equal(new long[] { batch, newLength, outChannels }, y.shape);
        AssertClose(module.forward(x.transpose(1, 2)).transpose(1, 2), y, atol: 1e-5);
    }

    [Property(MaxTest = 200)]
    public void Init_follows_PyTorch_shapes_and_bound_and_is_reproducible(Dim inChannels, Dim outChannels, Dim kernel, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Conv1d.Init(Rng(seed), inChannels, outChannels, kernel, Cpu);
        var bound = 1 / Math.Sqrt(inChannels * kernel);

        Assert.Equal(new long[] { outChannels, inChannels, kernel }, p.Weight.shape);
        Assert.Equal(new long[] { outChannels }, p.Bias!.shape);
        Assert.Equal((1, 0, 1), (p.Stride, p.Padding, p.Dilation));
        Assert.Equal(["weight", "bias"], Tree.Paths(p));
        foreach (var leaf in Tree.Leaves(p))
        {
            Assert.Equal(torch.float32, leaf.dtype);
            Assert.False(leaf.requires_grad);
            Assert.True(leaf.abs().max().item<float>() <= (float)bound * (1 + 1e-6)); // float32 rounding of the bound
        }
        var again = Conv1d.Init(Rng(seed), inChannels, outChannels, kernel, Cpu);
        Assert.True(Same.Bitwise(p.Weight, again.Weight) && Same.Bitwise(p.Bias, again.Bias!));
    }

    [Fact]
    public void Init_weights_are_uniform_with_PyTorch_variance()
    {
        using var scope = torch.NewDisposeScope();
        var weight = Conv1d.Init(Rng(11), 16, 128, 5, Cpu).Weight.to(torch.float64);
        var bound = 1 / Math.Sqrt(16 * 5);
        Assert.InRange(weight.var().item<double>() / (bound * bound / 3), 0.95, 1.05);
    }

    [Property(MaxTest = 100)]
    public void Stride_padding_and_dilation_out_of_range_are_refused_when_the_record_is_made(int stride, int padding, int dilation)
    {
        using var scope = torch.NewDisposeScope();
        var valid = Conv1d.Init(Rng(0), 1, 1, 1, Cpu);
        Action make = () => _ = new Conv1dParams(valid.Weight, valid.Bias, stride, padding, dilation);
        Action with = () => _ = valid with { Stride = stride, Padding = padding, Dilation = dilation };
        if (stride >= 1 && padding >= 0 && dilation >= 1)
        {
            make();
            with();
            return;
        }
        var name = stride < 1 ? "Stride" : padding < 0 ? "Padding" : "Dilation";
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(make).ParamName);
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(with).ParamName);
    }

    [Property(MaxTest = 100)]
    public void Gradient_passes_GradCheck(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, Dim extra, int config, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Make(generator, inChannels, outChannels, kernel, config, withBias);
        var x = Normal64(generator, batch, Length(p, extra - 1), inChannels);
        var weights = Normal64(generator, Conv1d.Apply(Tree.Map(p, w => w.to(torch.float64)), x).shape);

        AssertGradCheckPasses(q => (Conv1d.Apply(q, x) * weights).sum(), p);
    }

    [Property(MaxTest = 200)]
    public void Apply_and_ValueAndGrad_leave_input_and_parameters_unchanged(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Make(generator, inChannels, outChannels, kernel, config, withBias: true);
        var x = Normal(generator, batch, Length(p, 2), inChannels);
        var (parametersBefore, xBefore) = (Snapshot(p), x.clone());

        Conv1d.Apply(p, x);
        AssertUnchanged(p, parametersBefore);
        var result = Autodiff.ValueAndGrad(q => Conv1d.Apply(q, x).pow(Scalars.Two).sum(), p);
        AssertUnchanged(p, parametersBefore);
        Assert.True(Same.Bitwise(xBefore, x));
        Assert.Equal((p.Stride, p.Padding, p.Dilation), (result.Gradient.Stride, result.Gradient.Padding, result.Gradient.Dilation));
        Tree.CheckSameStructure(p, result.Gradient);
    }

    [Property(MaxTest = 200)]
    public void A_sequence_shorter_than_the_kernel_is_a_LayerInputException(Batch batch, Dim inChannels, Dim kernel, Dim shortBy, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Make(Rng(seed), inChannels, 2, kernel, config, withBias: true);
        var tooShort = Length(p, 0) - shortBy;
        if (tooShort < 0) tooShort = 0;

        var error = Assert.Throws<LayerInputException>(() => Conv1d.Apply(p, torch.zeros(batch, tooShort, inChannels)));
        Assert.Equal("Conv1d", error.Layer);
        Assert.Contains($"length >= {Length(p, 0)}", error.Message);
        Assert.Contains($"kernel {kernel}, dilation {p.Dilation}, padding {p.Padding}", error.Message);
        Assert.Contains($"Float32[{batch}, {tooShort}, {inChannels}]", error.Message);
        // One step longer is accepted.
        Conv1d.Apply(p, torch.zeros(batch, Length(p, 0), inChannels));
    }

    [Property(MaxTest = 100)]
    public void Wrong_channels_rank_dtype_or_device_is_a_LayerInputException(Batch batch, Dim inChannels, Dim extra, Dim kernel)
    {
        using var scope = torch.NewDisposeScope();
        var p = Conv1d.Init(Rng(0), inChannels, 3, kernel, Cpu);
        long length = kernel;

        var channels = Assert.Throws<LayerInputException>(() => Conv1d.Apply(p, torch.zeros(batch, length, inChannels + extra)));
        Assert.Contains($"[..., {inChannels}]", channels.Message);
        Assert.Contains($"Float32[{batch}, {length}, {inChannels + extra}]", channels.Message);
        Assert.Contains("rank 3", Assert.Throws<LayerInputException>(() => Conv1d.Apply(p, torch.zeros(length, inChannels))).Message);
        Assert.Contains("rank 3", Assert.Throws<LayerInputException>(() => Conv1d.Apply(p, torch.zeros(1, batch, length, inChannels))).Message);
        foreach (var dtype in new[] { torch.int64, torch.float64 })
            Assert.Contains($"{dtype}[{batch}, {length}, {inChannels}]",
                Assert.Throws<LayerInputException>(() => Conv1d.Apply(p, torch.zeros(batch, length, inChannels, dtype: dtype))).Message);
        Assert.Contains("on meta", Assert.Throws<LayerInputException>(() => Conv1d.Apply(p, torch.zeros(batch, length, inChannels, device: Meta))).Message);
    }
}
