using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>A masked multi-layer LSTM, unidirectional or bidirectional, on [batch, length, features] sequences.</summary>
public static class Lstm
{
    const string Layer = nameof(Lstm);

    /// <summary>
    /// <paramref name="layers"/> layers from <paramref name="inputs"/> features to <paramref name="hidden"/> units per
    /// direction, float32 on <paramref name="device"/>, drawn as PyTorch's <c>nn.LSTM</c>: every tensor from
    /// U(-1/√hidden, 1/√hidden) with <paramref name="generator"/>, per layer and direction weight_ih, weight_hh,
    /// bias_ih, bias_hh.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static LstmParams Init(Generator generator, int inputs, int hidden, int layers, bool bidirectional, Device device) =>
        new(Recurrence.Init(generator, Recurrence.Kind.Lstm, inputs, hidden, layers, bidirectional, device));

    /// <summary>
    /// Runs the LSTM (PyTorch's cell: gates i, f, g, o; zero initial states) over <paramref name="values"/>
    /// [batch, length, inputs] with <paramref name="mask"/> [batch, length].
    /// </summary>
    /// <remarks>
    /// A padded step never changes the state and outputs zeros; the forward direction's final state is the state
    /// after the row's last real token, and the backward direction starts at the row's last real token (so on a prefix
    /// mask each row gives exactly what <c>nn.LSTM</c> gives on the row unpadded). Holes in the mask are skipped.
    /// Padded inputs are never read and receive zero gradient; a row without real tokens gives zeros. A prefix mask
    /// (checked on the host) runs libtorch's fused kernel on the packed rows, with gradients flowing to the weights of
    /// <paramref name="parameters"/> and to <paramref name="values"/> (first derivatives only); a mask with holes runs a
    /// step loop of torch operations (one input-projection matmul per direction, one recurrent matmul per step).
    /// Checked before any native call: rank 3, dtype and device of the weights, input width, weight shapes, layers all
    /// of one directionality, and the mask; a violation is a <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static LstmResult Apply(LstmParams parameters, Tensor values, Tensor mask)
    {
        var (output, hidden, cell) = Recurrence.Run(Layer, parameters, Recurrence.Kind.Lstm, parameters.Layers, values, mask);
        return new LstmResult(new MaskedSequence(output, mask.alias()), hidden, cell!);
    }
}
