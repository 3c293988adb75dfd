using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>Max and average pooling over channels-last images [batch, height, width, channels], each channel on its own.</summary>
/// <remarks>
/// libtorch is given the channels-first view <c>x.permute(0, 3, 1, 2)</c>, whose memory is channels-last and which its
/// CPU pooling kernels read natively, as <see cref="Conv2d"/> does. Checked before any native call: the window's
/// padding at most half its kernel (else an <see cref="ArgumentOutOfRangeException"/>); rank 4, a
/// floating-point input, and height and width of at least kernel - 2·padding; a violation is a
/// <see cref="LayerInputException"/> (naming <c>MaxPool2d</c> or <c>AvgPool2d</c>). Pure: neither mutates nor
/// disposes the input.
/// </remarks>
public static class Pooling2d
{
    /// <summary>
    /// The maximum of each window: [batch, height, width, channels] to [batch, newHeight, newWidth, channels] with
    /// newSize = <see cref="Pool2dWindow.OutputSize"/>, as PyTorch's <c>max_pool2d</c> (padding never wins). The
    /// gradient goes to the maximal element of each window.
    /// </summary>
    public static Tensor Max(Pool2dWindow window, Tensor x)
    {
        Check("MaxPool2d", window, x);
        using var channelsFirst = x.permute(0, 3, 1, 2);
        using var y = nn.functional.max_pool2d(channelsFirst, [window.Kernel, window.Kernel], [window.Stride, window.Stride], [window.Padding, window.Padding]);
        return y.permute(0, 2, 3, 1);
    }

    /// <summary>
    /// The mean of each window, as PyTorch's <c>avg_pool2d</c> with its defaults: padded zeros count in the
    /// denominator (always kernel²). Shapes as <see cref="Max"/>.
    /// </summary>
    public static Tensor Average(Pool2dWindow window, Tensor x)
    {
        Check("AvgPool2d", window, x);
        using var channelsFirst = x.permute(0, 3, 1, 2);
        using var y = nn.functional.avg_pool2d(channelsFirst, [window.Kernel, window.Kernel], [window.Stride, window.Stride], [window.Padding, window.Padding]);
        return y.permute(0, 2, 3, 1);
    }

    static void Check(string layer, Pool2dWindow window, Tensor x)
    {
        if (2L * window.Padding > window.Kernel)
            throw new ArgumentOutOfRangeException(nameof(window), window,
                $"{layer} padding must be at most half the kernel (PyTorch's bound), got padding {window.Padding} with kernel {window.Kernel}.");
        InputChecks.Rank(layer, window, x, 4, "[batch, height, width, channels]");
        if (!x.is_floating_point())
            throw new LayerInputException(layer, window, "a floating-point input", Shapes.Describe(x));
        var minimum = window.Window.MinimumSize(window.Kernel);
        var expected = $"[batch, height >= {minimum}, width >= {minimum}, channels] (kernel {window.Kernel}, padding {window.Padding})";
        InputChecks.MinimumSize(layer, window, x, 1, minimum, expected);
        InputChecks.MinimumSize(layer, window, x, 2, minimum, expected);
    }
}
