using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The parameters of a layer normalisation over the last dimension.</summary>
/// <param name="Weight">[features], the per-feature scale (γ).</param>
/// <param name="Bias">[features], the per-feature shift (β).</param>
/// <param name="Epsilon">Added to the variance before the square root: configuration, not a leaf.</param>
public sealed record LayerNormParams(Tensor Weight, Tensor Bias, double Epsilon);

/// <summary>Normalises each vector along the last dimension to zero mean and unit variance, then scales and shifts it.</summary>
public static class LayerNorm
{
    const string Layer = nameof(LayerNorm);

    /// <summary>
    /// A normalisation of <paramref name="features"/> features as PyTorch's <c>nn.LayerNorm</c>: weight ones, bias
    /// zeros, epsilon 1e-5, float32 on <paramref name="device"/>. The initial values are constants, so no
    /// generator is taken.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="features"/> is below 1.</exception>
    public static LayerNormParams Init(int features, Device device)
    {
        Initializers.Positive(features, nameof(features));
        return new(ones(features, dtype: float32, device: device), zeros(features, dtype: float32, device: device), 1e-5);
    }

    /// <summary>
    /// <c>(x - mean) / √(var + ε) · weight + bias</c> over the last dimension of <paramref name="x"/> [..., features]
    /// (biased variance, as PyTorch), giving the same shape.
    /// </summary>
    /// <remarks>
    /// Checked before any native call: rank 1 or more, dtype and device equal to the weight's, last dimension
    /// equal to features; a violation is a <see cref="LayerInputException"/>. Pure: returns a fresh tensor and
    /// neither mutates nor disposes <paramref name="x"/> or <paramref name="parameters"/>.
    /// </remarks>
    public static Tensor Apply(LayerNormParams parameters, Tensor x)
    {
        InputChecks.MinimumRank(Layer, parameters, x, 1, "[..., features]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, x, parameters.Weight);
        InputChecks.LastDimension(Layer, parameters, x, parameters.Weight.shape[0]);
        return nn.functional.layer_norm(x, [parameters.Weight.shape[0]], parameters.Weight, parameters.Bias, parameters.Epsilon);
    }
}
