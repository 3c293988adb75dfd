using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Adam scaling with bias correction: <c>Count += 1</c>; <c>mu = B1 * mu + (1 - B1) * g</c>;
/// <c>nu = B2 * nu + (1 - B2) * g^2</c>; update <c>mu_hat / (sqrt(nu_hat) + Eps)</c> with
/// <c>mu_hat = mu / (1 - B1^Count)</c>, <c>nu_hat = nu / (1 - B2^Count)</c> (epsilon outside the root, as
/// <c>torch.optim.Adam</c>).
/// </summary>
/// <param name="B1">First-moment decay, in [0, 1).</param>
/// <param name="B2">Second-moment decay, in [0, 1).</param>
/// <param name="Eps">Added to the root, &gt;= 0.</param>
public sealed record ScaleByAdam(double B1, double B2, double Eps) : IGradientTransformation
{
    /// <summary>The usual values: 0.9, 0.999, 1e-8.</summary>
    public static ScaleByAdam Default { get; } = new(0.9, 0.999, 1e-8);

    /// <summary>First-moment decay, in [0, 1).</summary>
    public double B1 { get; init => field = Check.Decay(value, nameof(B1)); } = Check.Decay(B1, nameof(B1));

    /// <summary>Second-moment decay, in [0, 1).</summary>
    public double B2 { get; init => field = Check.Decay(value, nameof(B2)); } = Check.Decay(B2, nameof(B2));

    /// <summary>Added to the root, &gt;= 0.</summary>
    public double Eps { get; init => field = Check.NonNegative(value, nameof(Eps)); } = Check.NonNegative(Eps, nameof(Eps));

    /// <summary>The problems of these moments' settings (none when <c>new ScaleByAdam(b1, b2, eps)</c> succeeds): the bounds its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(double b1, double b2, double eps) =>
        [.. Bounds.Decay(nameof(B1), b1), .. Bounds.Decay(nameof(B2), b2), .. Bounds.NonNegative(nameof(Eps), eps)];

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) =>
        new ScaleByAdamState(Counter.Of(0), ParameterTensors.Of(parameters, Leafwise.ZerosLike(parameters)), ParameterTensors.Of(parameters, Leafwise.ZerosLike(parameters)));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var adam = Check.State<ScaleByAdamState>(state, nameof(ScaleByAdam));
        Check.SameCount(gradients, adam.Mu, nameof(ScaleByAdam));
        Check.SameCount(gradients, adam.Nu, nameof(ScaleByAdam));
        var count = Counter.Read(adam.Count, nameof(ScaleByAdam)) + 1;
        var correction1 = 1 - Math.Pow(B1, count);
        var rootCorrection2 = Math.Sqrt(1 - Math.Pow(B2, count));
        var mu = new torch.Tensor[gradients.Count];
        var nu = new torch.Tensor[gradients.Count];
        using var beta1 = B1.ToScalar();
        using var oneMinusBeta1 = (1 - B1).ToScalar();
        using var beta2 = B2.ToScalar();
        using var oneMinusBeta2 = (1 - B2).ToScalar();
        using var eps = Eps.ToScalar();
        using var biasCorrection1 = correction1.ToScalar();
        using var rootBiasCorrection2 = rootCorrection2.ToScalar();
        var updates = Leafwise.Map(gradients, (i, g) =>
        {
            using var scope = torch.NewDisposeScope();
            mu[i] = adam.Mu[i].mul(beta1).add(g.Value.mul(oneMinusBeta1), Scalars.One).MoveToOuterDisposeScope();
            nu[i] = adam.Nu[i].mul(beta2).add(g.Value.mul(g.Value).mul(oneMinusBeta2), Scalars.One).MoveToOuterDisposeScope();
            return (mu[i].div(biasCorrection1) / nu[i].sqrt().div(rootBiasCorrection2).add(eps, Scalars.One)).MoveToOuterDisposeScope();
        });
        return new(updates, new ScaleByAdamState(Counter.Of(count), adam.Mu.With(mu), adam.Nu.With(nu)));
    }
}

/// <summary>The state of <see cref="ScaleByAdam"/>.</summary>
/// <param name="Count">Updates done so far (for the bias correction): a 0-d int64 CPU tensor.</param>
/// <param name="Mu">First moments, one per parameter leaf (tree paths <c>mu/{parameter path}</c>).</param>
/// <param name="Nu">Second moments, one per parameter leaf (tree paths <c>nu/{parameter path}</c>).</param>
public sealed record ScaleByAdamState(torch.Tensor Count, ParameterTensors Mu, ParameterTensors Nu);
