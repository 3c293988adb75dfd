using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Lion (Chen et al. 2023): update <c>sign(B1 * mu + (1 - B1) * g)</c>, then <c>mu = B2 * mu + (1 - B2) * g</c>
/// (mu starts at 0).
/// </summary>
/// <param name="B1">Interpolation for the update direction, in [0, 1).</param>
/// <param name="B2">Momentum decay, in [0, 1).</param>
public sealed record ScaleByLion(double B1, double B2) : IGradientTransformation
{
    /// <summary>The paper's values: 0.9 and 0.99.</summary>
    public static ScaleByLion Default { get; } = new(0.9, 0.99);

    /// <summary>Interpolation for the update direction, in [0, 1).</summary>
    public double B1 { get; init => field = Check.Decay(value, nameof(B1)); } = Check.Decay(B1, nameof(B1));

    /// <summary>Momentum decay, in [0, 1).</summary>
    public double B2 { get; init => field = Check.Decay(value, nameof(B2)); } = Check.Decay(B2, nameof(B2));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new TraceState(ParameterTensors.Of(parameters, Leafwise.ZerosLike(parameters)));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var mu = Check.State<TraceState>(state, nameof(ScaleByLion)).Trace;
        Check.SameCount(gradients, mu, nameof(ScaleByLion));
        var next = new torch.Tensor[gradients.Count];
        using var beta1 = B1.ToScalar();
        using var oneMinusBeta1 = (1 - B1).ToScalar();
        using var beta2 = B2.ToScalar();
        using var oneMinusBeta2 = (1 - B2).ToScalar();
        var updates = Leafwise.Map(gradients, (i, g) =>
        {
            next[i] = mu[i].mul(beta2).add(g.Value.mul(oneMinusBeta2), Scalars.One);
            return mu[i].mul(beta1).add(g.Value.mul(oneMinusBeta1), Scalars.One).sign();
        });
        return new(updates, new TraceState(mu.With(next)));
    }
}
