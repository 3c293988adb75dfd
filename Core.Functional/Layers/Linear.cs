using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The parameters of a dense layer <c>y = x Wᵀ + b</c>, named as PyTorch's state dict.</summary>
/// <param name="Weight">[outputs, inputs].</param>
/// <param name="Bias">[outputs], or null for a layer without bias (which then has no <c>bias</c> leaf).</param>
public sealed record LinearParams(Tensor Weight, Tensor? Bias);

/// <summary>A dense (fully connected) layer on the last dimension of its input.</summary>
public static class Linear
{
    const string Layer = nameof(Linear);

    /// <summary>
    /// A layer from <paramref name="inputs"/> to <paramref name="outputs"/> features with bias, float32 on
    /// <paramref name="device"/>, initialised as PyTorch's <c>nn.Linear</c>: weight and bias drawn from
    /// U(-1/√inputs, 1/√inputs) with <paramref name="generator"/> (weight first, then bias).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputs"/> or <paramref name="outputs"/> is below 1.</exception>
    public static LinearParams Init(Generator generator, int inputs, int outputs, Device device)
    {
        var weight = Weight(generator, inputs, outputs, device);
        return new(weight, Initializers.Uniform(generator, [outputs], Bound(inputs), device));
    }

    /// <summary>As <see cref="Init"/> without a bias: <c>y = x Wᵀ</c>; draws the same weight as <see cref="Init"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputs"/> or <paramref name="outputs"/> is below 1.</exception>
    public static LinearParams InitWithoutBias(Generator generator, int inputs, int outputs, Device device) =>
        new(Weight(generator, inputs, outputs, device), null);

    /// <summary>
    /// <c>x Wᵀ + b</c> for <paramref name="x"/> of shape [..., inputs] (rank 1 or more), giving [..., outputs].
    /// </summary>
    /// <remarks>
    /// Checked before any native call: rank, dtype and device equal to the weight's, last dimension equal to
    /// inputs; a violation is a <see cref="LayerInputException"/>. Pure: returns a fresh tensor and neither
    /// mutates nor disposes <paramref name="x"/> or <paramref name="parameters"/>.
    /// </remarks>
    public static Tensor Apply(LinearParams parameters, Tensor x)
    {
        InputChecks.MinimumRank(Layer, parameters, x, 1, "[..., inputs]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, x, parameters.Weight);
        InputChecks.LastDimension(Layer, parameters, x, parameters.Weight.shape[1]);
        return nn.functional.linear(x, parameters.Weight, parameters.Bias);
    }

    static Tensor Weight(Generator generator, int inputs, int outputs, Device device)
    {
        Initializers.Positive(inputs, nameof(inputs));
        Initializers.Positive(outputs, nameof(outputs));
        return Initializers.Uniform(generator, [outputs, inputs], Bound(inputs), device);
    }

    static double Bound(int inputs) => 1 / Math.Sqrt(inputs);
}
