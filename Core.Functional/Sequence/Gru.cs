using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>A masked multi-layer GRU, unidirectional or bidirectional, on [batch, length, features] sequences.</summary>
public static class Gru
{
    const string Layer = nameof(Gru);

    /// <summary>
    /// <paramref name="layers"/> layers from <paramref name="inputs"/> features to <paramref name="hidden"/> units per
    /// direction, float32 on <paramref name="device"/>, drawn as PyTorch's <c>nn.GRU</c>: every tensor from
    /// U(-1/√hidden, 1/√hidden) with <paramref name="generator"/>, per layer and direction weight_ih, weight_hh,
    /// bias_ih, bias_hh.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static GruParams Init(Generator generator, int inputs, int hidden, int layers, bool bidirectional, Device device) =>
        new(Recurrence.Init(generator, Recurrence.Kind.Gru, inputs, hidden, layers, bidirectional, device));

    /// <summary>
    /// Runs the GRU (PyTorch's cell: gates r, z, n with n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); zero initial
    /// state) over <paramref name="values"/> [batch, length, inputs] with <paramref name="mask"/> [batch, length].
    /// </summary>
    /// <remarks>
    /// The masking contract is <see cref="Lstm.Apply"/>'s: padded steps keep the state and output zeros, the backward
    /// direction starts at each row's last real token, holes are skipped, padded inputs get zero gradient, rows
    /// without real tokens give zeros; prefix masks run libtorch's fused kernel and masks with holes a step loop, as
    /// there; checked the same way. Pure.
    /// </remarks>
    public static GruResult Apply(GruParams parameters, Tensor values, Tensor mask)
    {
        var (output, hidden, _) = Recurrence.Run(Layer, parameters, Recurrence.Kind.Gru, parameters.Layers, values, mask);
        return new GruResult(new MaskedSequence(output, mask.alias()), hidden);
    }
}
