using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>Multiplies every update by a fixed finite <paramref name="Factor"/> (any sign). Stateless.</summary>
/// <param name="Factor">The factor.</param>
public sealed record Scale(double Factor) : IGradientTransformation
{
    /// <summary>The factor, finite.</summary>
    public double Factor { get; init => field = Check.Finite(value, nameof(Factor)); } = Check.Finite(Factor, nameof(Factor));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        using var factor = Factor.ToScalar();
        return new(Leafwise.Map(gradients, (_, g) => g.Value.mul(factor)), EmptyState.Instance);
    }
}
