using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The parameters of a 2-D convolution over channels-last images. The weight is laid out as PyTorch's
/// <c>nn.Conv2d</c> ([outChannels, inChannels, kernelHeight, kernelWidth]) so state dicts carry over; the kernel may be
/// rectangular, while stride, padding and dilation are square (one value for both axes) configuration, changed with
/// <c>with</c> and checked when the record is made.
/// </summary>
/// <param name="Weight">[outChannels, inChannels, kernelHeight, kernelWidth].</param>
/// <param name="Bias">[outChannels], or null for no bias.</param>
/// <param name="Stride">The step between windows along both axes, at least 1.</param>
/// <param name="Padding">Zeros added at each side of both axes, at least 0.</param>
/// <param name="Dilation">The spacing between kernel taps along both axes, at least 1.</param>
/// <exception cref="ArgumentOutOfRangeException">Stride or dilation below 1, or padding below 0 (also through <c>with</c>).</exception>
public sealed record Conv2dParams(Tensor Weight, Tensor? Bias, int Stride, int Padding, int Dilation)
{
    /// <summary>Stride, padding and dilation as one record: the one place they are kept and checked.</summary>
    public WindowSettings Window { get; private init; } = new("Conv2d", Stride, Padding, Dilation);

    /// <summary>The step between windows along both axes, at least 1.</summary>
    public int Stride { get => Window.Stride; init => Window = Window with { Stride = value }; }

    /// <summary>Zeros added at each side of both axes, at least 0.</summary>
    public int Padding { get => Window.Padding; init => Window = Window with { Padding = value }; }

    /// <summary>The spacing between kernel taps along both axes, at least 1.</summary>
    public int Dilation { get => Window.Dilation; init => Window = Window with { Dilation = value }; }
}

/// <summary>A 2-D convolution over channels-last images [batch, height, width, channels].</summary>
public static class Conv2d
{
    const string Layer = nameof(Conv2d);

    /// <summary>
    /// A convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/> with a square kernel of
    /// <paramref name="kernelSize"/>² taps, stride 1, padding 0, dilation 1, with bias, float32 on <paramref name="device"/>,
    /// initialised as PyTorch's <c>nn.Conv2d</c>: weight and bias drawn from U(-1/√(inChannels·kernelSize²), +) with
    /// <paramref name="generator"/> (weight first).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static Conv2dParams Init(Generator generator, int inChannels, int outChannels, int kernelSize, Device device)
    {
        Initializers.Positive(inChannels, nameof(inChannels));
        Initializers.Positive(outChannels, nameof(outChannels));
        Initializers.Positive(kernelSize, nameof(kernelSize));
        var bound = 1 / Math.Sqrt((double)inChannels * kernelSize * kernelSize);
        var weight = Initializers.Uniform(generator, [outChannels, inChannels, kernelSize, kernelSize], bound, device);
        return new(weight, Initializers.Uniform(generator, [outChannels], bound, device), 1, 0, 1);
    }

    /// <summary>
    /// Convolves <paramref name="x"/> [batch, height, width, inChannels] to [batch, newHeight, newWidth, outChannels]
    /// with newSize = ⌊(size + 2·padding - dilation·(kernel - 1) - 1) / stride⌋ + 1 per axis, as PyTorch's
    /// <c>conv2d</c> on the channels-first permutation.
    /// </summary>
    /// <remarks>
    /// <para>libtorch is given <c>x.permute(0, 3, 1, 2)</c>, a channels-first view whose memory is channels-last, which
    /// its CPU convolution reads natively and answers in the same memory format, so no copy is made on either side and
    /// the permuted-back result is normally contiguous (faster than explicit copies: the <c>conv2d-layout</c>
    /// benchmark). The result may be a non-contiguous view; the values are the same either way.</para>
    /// <para>Checked before any native call: rank 4, dtype and device equal to the weight's, last dimension equal to
    /// inChannels, and height and width large enough for one window (size + 2·padding ≥ dilation·(kernel - 1) + 1, and
    /// at least 1); a violation is a <see cref="LayerInputException"/>. Pure: neither mutates nor disposes
    /// <paramref name="x"/> or <paramref name="parameters"/>.</para>
    /// </remarks>
    public static Tensor Apply(Conv2dParams parameters, Tensor x)
    {
        var weight = parameters.Weight;
        long inChannels = weight.shape[1], kernelHeight = weight.shape[2], kernelWidth = weight.shape[3];
        InputChecks.Rank(Layer, parameters, x, 4, "[batch, height, width, channels]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, x, weight);
        InputChecks.LastDimension(Layer, parameters, x, inChannels);
        var minimumHeight = parameters.Window.MinimumSize(kernelHeight);
        var minimumWidth = parameters.Window.MinimumSize(kernelWidth);
        var expected = $"[batch, height >= {minimumHeight}, width >= {minimumWidth}, {inChannels}] "
            + $"(kernel {kernelHeight}x{kernelWidth}, dilation {parameters.Dilation}, padding {parameters.Padding})";
        InputChecks.MinimumSize(Layer, parameters, x, 1, minimumHeight, expected);
        InputChecks.MinimumSize(Layer, parameters, x, 2, minimumWidth, expected);

        using var channelsFirst = x.permute(0, 3, 1, 2);
        long stride = parameters.Stride, padding = parameters.Padding, dilation = parameters.Dilation;
        using var y = nn.functional.conv2d(channelsFirst, weight, parameters.Bias, [stride, stride], [padding, padding], [dilation, dilation]);
        return y.permute(0, 2, 3, 1);
    }
}
