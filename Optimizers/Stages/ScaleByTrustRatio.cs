using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// LAMB's layer adaptation, per tensor: the update is multiplied by <c>|p| / |u|</c> (Euclidean norms of the
/// parameter and of the update); by 1 when either norm is 0. Stateless.
/// </summary>
public sealed record ScaleByTrustRatio : IGradientTransformation
{
    /// <summary>The only value needed.</summary>
    public static ScaleByTrustRatio Instance { get; } = new();

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        Check.SameLeaves(parameters, gradients);
        return new(Leafwise.Map(gradients, (i, u) =>
        {
            var parameterNorm = Leafwise.Norm(parameters[i].Value);
            var updateNorm = Leafwise.Norm(u.Value);
            if (!(parameterNorm > 0 && updateNorm > 0)) return u.Value.alias();
            using var trustRatio = (parameterNorm / updateNorm).ToScalar();
            return u.Value.mul(trustRatio);
        }), EmptyState.Instance);
    }
}
