using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// RMSprop scaling as <c>torch.optim.RMSprop</c> does it: <c>nu = Decay * nu + (1 - Decay) * g^2</c> (nu starts
/// at 0), update <c>g / (sqrt(nu) + Eps)</c> — epsilon outside the square root.
/// </summary>
/// <param name="Decay">The smoothing constant (PyTorch's alpha), in [0, 1).</param>
/// <param name="Eps">Added to the root, &gt;= 0.</param>
public sealed record ScaleByRms(double Decay, double Eps) : IGradientTransformation
{
    /// <summary>PyTorch's defaults: alpha 0.99, eps 1e-8.</summary>
    public static ScaleByRms Default { get; } = new(0.99, 1e-8);

    /// <summary>The smoothing constant, in [0, 1).</summary>
    public double Decay { get; init => field = Check.Decay(value, nameof(Decay)); } = Check.Decay(Decay, nameof(Decay));

    /// <summary>Added to the root, &gt;= 0.</summary>
    public double Eps { get; init => field = Check.NonNegative(value, nameof(Eps)); } = Check.NonNegative(Eps, nameof(Eps));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new ScaleByRmsState(ParameterTensors.Of(parameters, Leafwise.ZerosLike(parameters)));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var nu = Check.State<ScaleByRmsState>(state, nameof(ScaleByRms)).Nu;
        Check.SameCount(gradients, nu, nameof(ScaleByRms));
        var next = new torch.Tensor[gradients.Count];
        using var decay = Decay.ToScalar();
        using var oneMinusDecay = (1 - Decay).ToScalar();
        using var eps = Eps.ToScalar();
        var updates = Leafwise.Map(gradients, (i, g) =>
        {
            next[i] = nu[i].mul(decay).add(g.Value.mul(g.Value).mul(oneMinusDecay), Scalars.One);
            return g.Value / next[i].sqrt().add(eps, Scalars.One);
        });
        return new(updates, new ScaleByRmsState(nu.With(next)));
    }
}

/// <summary>The state of <see cref="ScaleByRms"/>.</summary>
/// <param name="Nu">The running mean of squared gradients, one per parameter leaf (tree paths <c>nu/{parameter path}</c>).</param>
public sealed record ScaleByRmsState(ParameterTensors Nu);
