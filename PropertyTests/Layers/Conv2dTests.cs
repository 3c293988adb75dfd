using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class Conv2dTests
{
    /// <summary>
    /// A convolution with a kernel of height <paramref name="kernel"/> and width 1..3, stride 1..3, padding 0..2 and
    /// dilation 1..2 chosen from <paramref name="config"/>.
    /// </summary>
    static Conv2dParams Make(torch.Generator generator, int inChannels, int outChannels, int kernel, int config, bool withBias)
    {
        var square = Conv2d.Init(generator, inChannels, outChannels, kernel, Cpu);
        var kernelWidth = 1 + (config >> 24 & 0x7f) % 3;
        var parameters = square with
        {
            Weight = Normal(generator, outChannels, inChannels, kernel, kernelWidth),
            Stride = 1 + (config & 0xff) % 3,
            Padding = (config >> 8 & 0xff) % 3,
            Dilation = 1 + (config >> 16 & 0xff) % 2,
        };
        return withBias ? parameters : parameters with { Bias = null };
    }

    /// <summary>The smallest size the layer accepts along <paramref name="axis"/> (2 height, 3 width), plus <paramref name="extra"/>.</summary>
    static long Size(Conv2dParams p, int axis, long extra) => Math.Max(1, p.Dilation * (p.Weight.shape[axis] - 1) + 1 - 2 * p.Padding) + extra;

    static long OutputSize(Conv2dParams p, int axis, long size) => (size + 2 * p.Padding - p.Dilation * (p.Weight.shape[axis] - 1) - 1) / p.Stride + 1;

    [Property(MaxTest = 300)]
    public void Agrees_with_nn_Conv2d_on_the_channels_first_permutation(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, Dim extraHeight, Dim extraWidth, int config, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Make(generator, inChannels, outChannels, kernel, config, withBias);
        long height = Size(p, 2, extraHeight - 1), width = Size(p, 3, extraWidth - 1);
        var x = Normal(generator, batch, height, width, inChannels);
        using var module = torch.nn.Conv2d(inChannels, outChannels, (kernel, p.Weight.shape[3]), (p.Stride, p.Stride), (p.Padding, p.Padding), (p.Dilation, p.Dilation), bias: withBias);
        CopyInto(module.weight, p.Weight);
        if (withBias) CopyInto(module.bias, p.Bias!);

        var y = Conv2d.Apply(p, x);
        Assert.Equal(new long[] { batch, OutputSize(p, 2, height), OutputSize(p, 3, width), outChannels }, y.shape);
        AssertClose(module.forward(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1), y, atol: 1e-5);
    }

    [Property(MaxTest = 200)]
    public void Init_follows_PyTorch_shapes_and_bound_and_is_reproducible(Dim inChannels, Dim outChannels, Dim kernel, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Conv2d.Init(Rng(seed), inChannels, outChannels, kernel, Cpu);
        var bound = 1 / Math.Sqrt(inChannels * kernel * kernel);

        Assert.Equal(new long[] { outChannels, inChannels, kernel, kernel }, p.Weight.shape);
        Assert.Equal(new long[] { outChannels }, p.Bias!.shape);
        Assert.Equal((1, 0, 1), (p.Stride, p.Padding, p.Dilation));
        Assert.Equal(["weight", "bias"], Tree.Paths(p));
        foreach (var leaf in Tree.Leaves(p))
        {
            Assert.Equal(torch.float32, leaf.dtype);
            Assert.False(leaf.requires_grad);
            Assert.True(leaf.abs().max().item<float>() <= (float)bound * (1 + 1e-6)); // float32 rounding of the bound
        }
        var again = Conv2d.Init(Rng(seed), inChannels, outChannels, kernel, Cpu);
        Assert.True(Same.Bitwise(p.Weight, again.Weight) && Same.Bitwise(p.Bias, again.Bias!));
    }

    [Fact]
    public void Init_weights_are_uniform_with_PyTorch_variance()
    {
        using var scope = torch.NewDisposeScope();
        var weight = Conv2d.Init(Rng(11), 16, 64, 3, Cpu).Weight.to(torch.float64);
        var bound = 1 / Math.Sqrt(16 * 9);
        Assert.InRange(weight.var().item<double>() / (bound * bound / 3), 0.95, 1.05);
    }

    [Property(MaxTest = 100)]
    public void Stride_padding_and_dilation_out_of_range_are_refused_when_the_record_is_made(int stride, int padding, int dilation)
    {
        using var scope = torch.NewDisposeScope();
        var valid = Conv2d.Init(Rng(0), 1, 1, 1, Cpu);
        Action make = () => _ = new Conv2dParams(valid.Weight, valid.Bias, stride, padding, dilation);
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
    public void Gradient_passes_GradCheck_for_input_and_parameters(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, Dim extra, int config, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Make(generator, inChannels, outChannels, kernel, config, withBias);
        var x = Normal64(generator, batch, Size(p, 2, extra - 1), Size(p, 3, 1), inChannels);
        var weights = Normal64(generator, Conv2d.Apply(Tree.Map(p, w => w.to(torch.float64)), x).shape);

        AssertGradCheckPasses(q => (Conv2d.Apply(q.Conv, q.X) * weights).sum(), new Conv2dAndInput(p, x));
    }

    [Property(MaxTest = 200)]
    public void Apply_and_ValueAndGrad_leave_input_and_parameters_unchanged(Batch batch, Dim inChannels, Dim outChannels, Dim kernel, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Make(generator, inChannels, outChannels, kernel, config, withBias: true);
        var x = Normal(generator, batch, Size(p, 2, 2), Size(p, 3, 1), inChannels);
        var (parametersBefore, xBefore) = (Snapshot(p), x.clone());

        Conv2d.Apply(p, x);
        AssertUnchanged(p, parametersBefore);
        var result = Autodiff.ValueAndGrad(q => Conv2d.Apply(q, x).pow(Scalars.Two).sum(), p);
        AssertUnchanged(p, parametersBefore);
        Assert.True(Same.Bitwise(xBefore, x));
        Assert.Equal((p.Stride, p.Padding, p.Dilation), (result.Gradient.Stride, result.Gradient.Padding, result.Gradient.Dilation));
        Tree.CheckSameStructure(p, result.Gradient);
    }

    [Property(MaxTest = 200)]
    public void An_image_smaller_than_the_kernel_is_a_LayerInputException(Batch batch, Dim inChannels, Dim kernel, Dim shortBy, bool shortHeight, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Make(Rng(seed), inChannels, 2, kernel, config, withBias: true);
        long height = Size(p, 2, 0), width = Size(p, 3, 0);
        var (tooShortHeight, tooShortWidth) = shortHeight ? (Math.Max(0, height - shortBy), width) : (height, Math.Max(0, width - shortBy));

        var error = Assert.Throws<LayerInputException>(() => Conv2d.Apply(p, torch.zeros(batch, tooShortHeight, tooShortWidth, inChannels)));
        Assert.Equal("Conv2d", error.Layer);
        Assert.Contains($"height >= {height}, width >= {width}", error.Message);
        Assert.Contains($"kernel {kernel}x{p.Weight.shape[3]}, dilation {p.Dilation}, padding {p.Padding}", error.Message);
        Assert.Contains($"Float32[{batch}, {tooShortHeight}, {tooShortWidth}, {inChannels}]", error.Message);
        // The smallest image is accepted.
        Conv2d.Apply(p, torch.zeros(batch, height, width, inChannels));
    }

    [Property(MaxTest = 100)]
    public void Wrong_channels_rank_dtype_or_device_is_a_LayerInputException(Batch batch, Dim inChannels, Dim extra, Dim kernel)
    {
        using var scope = torch.NewDisposeScope();
        var p = Conv2d.Init(Rng(0), inChannels, 3, kernel, Cpu);
        long size = kernel;

        var channels = Assert.Throws<LayerInputException>(() => Conv2d.Apply(p, torch.zeros(batch, size, size, inChannels + extra)));
        Assert.Contains($"[..., {inChannels}]", channels.Message);
        Assert.Contains($"Float32[{batch}, {size}, {size}, {inChannels + extra}]", channels.Message);
        Assert.Contains("rank 4", Assert.Throws<LayerInputException>(() => Conv2d.Apply(p, torch.zeros(batch, size, inChannels))).Message);
        Assert.Contains("rank 4", Assert.Throws<LayerInputException>(() => Conv2d.Apply(p, torch.zeros([1, batch, size, size, inChannels]))).Message);
        foreach (var dtype in new[] { torch.int64, torch.float64 })
            Assert.Contains($"{dtype}[{batch}, {size}, {size}, {inChannels}]",
                Assert.Throws<LayerInputException>(() => Conv2d.Apply(p, torch.zeros(batch, size, size, inChannels, dtype: dtype))).Message);
        Assert.Contains("on meta", Assert.Throws<LayerInputException>(() => Conv2d.Apply(p, torch.zeros(batch, size, size, inChannels, device: Meta))).Message);
    }
}

/// <summary>A convolution and an input together, so GradCheck checks the input's gradient as well as the parameters'.</summary>
public sealed record Conv2dAndInput(Conv2dParams Conv, torch.Tensor X);
