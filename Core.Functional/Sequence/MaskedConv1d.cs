using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>A <see cref="Conv1d"/> over masked channels-last sequences.</summary>
public static class MaskedConv1d
{
    const string Layer = nameof(MaskedConv1d);

    /// <summary>
    /// Zeros the padded positions of <paramref name="values"/> [batch, length, inChannels], convolves as
    /// <see cref="Conv1d.Apply"/>, and returns the output [batch, newLength, outChannels] with its mask: output
    /// position t of row b is real exactly when t &lt; newLength(n_b), where n_b is one past the row's last real token
    /// and newLength(n) = ⌊(n + 2·padding - dilation·(kernel - 1) - 1) / stride⌋ + 1 (0 when the window does not fit).
    /// </summary>
    /// <remarks>
    /// So a real output is exactly the output of the convolution on the row cut after its last real token (padding
    /// inside the row counts as zeros), and appending padding changes nothing real. Padded outputs are zeros.
    /// Checked before any native call: the mask as <see cref="MaskChecks.Matches"/>, then as <see cref="Conv1d.Apply"/>;
    /// a violation is a <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static MaskedSequence Apply(Conv1dParams parameters, Tensor values, Tensor mask)
    {
        MaskChecks.Matches(Layer, parameters, values, mask);
        using var scope = NewDisposeScope();
        var input = Masks.ZeroPadding(values, mask);
        var output = Conv1d.Apply(parameters, input);
        var outputMask = OutputMask(parameters, mask, output.shape[1]);
        var result = new MaskedSequence(Masks.ZeroPadding(output, outputMask), outputMask);
        scope.MoveToOuter(result.Values, result.Mask);
        return result;
    }

    static Tensor OutputMask(Conv1dParams parameters, Tensor mask, long outLength)
    {
        var span = parameters.Window.Span(parameters.Weight.shape[2]);
        using var extra = (2L * parameters.Padding - span).ToScalar();
        using var stride = parameters.Stride.ToScalar();
        var positions = Ranges.Of(mask.shape[1], mask.device).add(Scalars.One, Scalars.One);
        var extent = (positions * mask.to(ScalarType.Int64)).amax([1]);
        var room = extent.add(extra, Scalars.One);
        var count = where(room.ge(Scalars.Zero), room.div(stride, rounding_mode: RoundingMode.floor).add(Scalars.One, Scalars.One), zeros_like(room));
        var outPositions = Ranges.Of(outLength, mask.device).unsqueeze(0);
        var real = outPositions.lt(count.unsqueeze(1));
        return extent.gt(Scalars.Zero).unsqueeze(1).logical_and(real);
    }
}
