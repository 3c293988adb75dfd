using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Adagrad scaling as <c>torch.optim.Adagrad</c>: <c>sum = sum + g^2</c> (sum starts at
/// <c>InitialAccumulator</c>), update <c>g / (sqrt(sum) + Eps)</c>.
/// </summary>
/// <param name="InitialAccumulator">The starting sum, &gt;= 0 (PyTorch: 0).</param>
/// <param name="Eps">Added to the root, &gt;= 0 (PyTorch: 1e-10).</param>
public sealed record ScaleByAdagrad(double InitialAccumulator, double Eps) : IGradientTransformation
{
    /// <summary>PyTorch's defaults: 0 and 1e-10.</summary>
    public static ScaleByAdagrad Default { get; } = new(0, 1e-10);

    /// <summary>The starting sum, &gt;= 0.</summary>
    public double InitialAccumulator { get; init => field = Check.NonNegative(value, nameof(InitialAccumulator)); } = Check.NonNegative(InitialAccumulator, nameof(InitialAccumulator));

    /// <summary>Added to the root, &gt;= 0.</summary>
    public double Eps { get; init => field = Check.NonNegative(value, nameof(Eps)); } = Check.NonNegative(Eps, nameof(Eps));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters)
    {
        using var initialAccumulator = InitialAccumulator.ToScalar();
        return new ScaleByAdagradState(ParameterTensors.Of(parameters, parameters.Select(p => torch.full_like(p.Value, initialAccumulator)).ToArray()));
    }

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var sum = Check.State<ScaleByAdagradState>(state, nameof(ScaleByAdagrad)).Sum;
        Check.SameCount(gradients, sum, nameof(ScaleByAdagrad));
        var next = new torch.Tensor[gradients.Count];
        using var eps = Eps.ToScalar();
        var updates = Leafwise.Map(gradients, (i, g) =>
        {
            next[i] = sum[i].add(g.Value.mul(g.Value), Scalars.One);
            return g.Value / next[i].sqrt().add(eps, Scalars.One);
        });
        return new(updates, new ScaleByAdagradState(sum.With(next)));
    }
}

/// <summary>The state of <see cref="ScaleByAdagrad"/>.</summary>
/// <param name="Sum">The sum of squared gradients, one per parameter leaf (tree paths <c>sum/{parameter path}</c>).</param>
public sealed record ScaleByAdagradState(ParameterTensors Sum);
