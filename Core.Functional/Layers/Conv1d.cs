using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The parameters of a 1-D convolution over channels-last sequences. The weight is laid out as PyTorch's
/// <c>nn.Conv1d</c> ([outChannels, inChannels, kernel]) so state dicts carry over; stride, padding and dilation are
/// configuration (change them with <c>with</c>), checked when the record is made.
/// </summary>
/// <param name="Weight">[outChannels, inChannels, kernel].</param>
/// <param name="Bias">[outChannels], or null for no bias.</param>
/// <param name="Stride">The step between windows, at least 1.</param>
/// <param name="Padding">Zeros added at each end of the length, at least 0.</param>
/// <param name="Dilation">The spacing between kernel taps, at least 1.</param>
/// <exception cref="ArgumentOutOfRangeException">Stride or dilation below 1, or padding below 0 (also through <c>with</c>).</exception>
public sealed record Conv1dParams(Tensor Weight, Tensor? Bias, int Stride, int Padding, int Dilation)
{
    /// <summary>Stride, padding and dilation as one record: the one place they are kept and checked.</summary>
    public WindowSettings Window { get; private init; } = new("Conv1d", Stride, Padding, Dilation);

    /// <summary>The step between windows, at least 1.</summary>
    public int Stride { get => Window.Stride; init => Window = Window with { Stride = value }; }

    /// <summary>Zeros added at each end of the length, at least 0.</summary>
    public int Padding { get => Window.Padding; init => Window = Window with { Padding = value }; }

    /// <summary>The spacing between kernel taps, at least 1.</summary>
    public int Dilation { get => Window.Dilation; init => Window = Window with { Dilation = value }; }
}

/// <summary>A 1-D convolution along the length of channels-last sequences [batch, length, channels].</summary>
public static class Conv1d
{
    const string Layer = nameof(Conv1d);

    /// <summary>
    /// A convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/> with a kernel of
    /// <paramref name="kernelSize"/> taps, stride 1, padding 0, dilation 1, with bias, float32 on <paramref name="device"/>,
    /// initialised as PyTorch's <c>nn.Conv1d</c>: weight and bias drawn from U(-1/√(inChannels·kernelSize), +) with
    /// <paramref name="generator"/> (weight first).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static Conv1dParams Init(Generator generator, int inChannels, int outChannels, int kernelSize, Device device)
    {
        Initializers.Positive(inChannels, nameof(inChannels));
        Initializers.Positive(outChannels, nameof(outChannels));
        Initializers.Positive(kernelSize, nameof(kernelSize));
        var bound = 1 / Math.Sqrt((double)inChannels * kernelSize);
        var weight = Initializers.Uniform(generator, [outChannels, inChannels, kernelSize], bound, device);
        return new(weight, Initializers.Uniform(generator, [outChannels], bound, device), 1, 0, 1);
    }

    /// <summary>
    /// Convolves <paramref name="x"/> [batch, length, inChannels] to [batch, newLength, outChannels] with
    /// newLength = ⌊(length + 2·padding - dilation·(kernel - 1) - 1) / stride⌋ + 1, as PyTorch's <c>conv1d</c> on the
    /// channels-first transpose. The result is a transposed view of a fresh tensor (not contiguous).
    /// </summary>
    /// <remarks>
    /// Checked before any native call: rank 3, dtype and device equal to the weight's, last dimension equal to
    /// inChannels, and a length long enough for one window (length + 2·padding ≥ dilation·(kernel - 1) + 1, and at
    /// least 1); a violation is a <see cref="LayerInputException"/>. Pure: neither mutates nor disposes
    /// <paramref name="x"/> or <paramref name="parameters"/>.
    /// </remarks>
    public static Tensor Apply(Conv1dParams parameters, Tensor x)
    {
        var weight = parameters.Weight;
        long inChannels = weight.shape[1], kernel = weight.shape[2];
        InputChecks.Rank(Layer, parameters, x, 3, "[batch, length, channels]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, x, weight);
        InputChecks.LastDimension(Layer, parameters, x, inChannels);
        var minimum = parameters.Window.MinimumSize(kernel);
        InputChecks.MinimumSize(Layer, parameters, x, 1, minimum,
            $"[batch, length >= {minimum}, {inChannels}] (kernel {kernel}, dilation {parameters.Dilation}, padding {parameters.Padding})");

        using var channelsFirst = x.transpose(1, 2);
        using var y = nn.functional.conv1d(channelsFirst, weight, parameters.Bias, parameters.Stride, parameters.Padding, parameters.Dilation);
        return y.transpose(1, 2);
    }
}
