using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The parameters of a root-mean-square normalisation (Zhang and Sennrich 2019), named as PyTorch's <c>nn.RMSNorm</c>.</summary>
/// <param name="Weight">[features], the per-feature scale.</param>
/// <param name="Epsilon">Added to the mean square before the square root: configuration, not a leaf.</param>
public sealed record RmsNormParams(Tensor Weight, double Epsilon);

/// <summary>Scales each vector along the last dimension to unit root mean square (no centring, no shift), then by the weight.</summary>
public static class RmsNorm
{
    const string Layer = nameof(RmsNorm);

    /// <summary>Weight ones and epsilon 1e-6, float32 on <paramref name="device"/>; no generator (constants).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="features"/> is below 1.</exception>
    public static RmsNormParams Init(int features, Device device)
    {
        Initializers.Positive(features, nameof(features));
        return new(ones(features, dtype: float32, device: device), 1e-6);
    }

    /// <summary><c>x / √(mean(x²) + ε) · weight</c> over the last dimension of <paramref name="x"/> [..., features].</summary>
    /// <remarks>
    /// Checked before any native call: rank 1 or more, dtype and device of the weight, last dimension equal to features;
    /// a violation is a <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static Tensor Apply(RmsNormParams parameters, Tensor x)
    {
        InputChecks.MinimumRank(Layer, parameters, x, 1, "[..., features]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, x, parameters.Weight);
        InputChecks.LastDimension(Layer, parameters, x, parameters.Weight.shape[0]);
        using var scope = NewDisposeScope();
        using var epsilon = parameters.Epsilon.ToScalar();
        var inverse = x.pow(Scalars.Two).mean([-1], keepdim: true).add(epsilon, Scalars.One).rsqrt();
        return x.mul(inverse).mul(parameters.Weight).MoveToOuterDisposeScope();
    }
}
