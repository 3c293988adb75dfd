using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>Clamps every element of every update to <c>[-Bound, Bound]</c>. Stateless.</summary>
/// <param name="Bound">The largest magnitude allowed, &gt;= 0.</param>
public sealed record ClipByValue(double Bound) : IGradientTransformation
{
    /// <summary>The largest magnitude allowed, &gt;= 0.</summary>
    public double Bound { get; init => field = Check.NonNegative(value, nameof(Bound)); } = Check.NonNegative(Bound, nameof(Bound));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        using var lower = (-Bound).ToScalar();
        using var upper = Bound.ToScalar();
        return new(Leafwise.Map(gradients, (_, g) => g.Value.clamp(lower, upper)), EmptyState.Instance);
    }
}

/// <summary>
/// Per tensor: an update whose Euclidean norm exceeds <c>MaxNorm</c> is scaled to norm <c>MaxNorm</c>; others
/// pass unchanged (bitwise). Stateless.
/// </summary>
/// <param name="MaxNorm">The largest norm per tensor, &gt; 0.</param>
public sealed record ClipByNorm(double MaxNorm) : IGradientTransformation
{
    /// <summary>The largest norm per tensor, &gt; 0.</summary>
    public double MaxNorm { get; init => field = Check.Positive(value, nameof(MaxNorm)); } = Check.Positive(MaxNorm, nameof(MaxNorm));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters) =>
        new(Leafwise.Map(gradients, (_, g) =>
        {
            var norm = Leafwise.Norm(g.Value);
            if (!(norm > MaxNorm)) return g.Value.alias();
            using var factor = (MaxNorm / norm).ToScalar();
            return g.Value.mul(factor);
        }), EmptyState.Instance);
}

/// <summary>
/// All updates together: when the global Euclidean norm (over every element of every leaf) exceeds
/// <c>MaxNorm</c>, every update is multiplied by <c>MaxNorm / norm</c>; otherwise all pass unchanged (bitwise).
/// Stateless.
/// </summary>
/// <param name="MaxNorm">The largest global norm, &gt; 0.</param>
public sealed record ClipByGlobalNorm(double MaxNorm) : IGradientTransformation
{
    /// <summary>The largest global norm, &gt; 0.</summary>
    public double MaxNorm { get; init => field = Check.Positive(value, nameof(MaxNorm)); } = Check.Positive(MaxNorm, nameof(MaxNorm));

    /// <summary>The problems of this bound (none when <c>new ClipByGlobalNorm(maxNorm)</c> succeeds): the bounds its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(double maxNorm) => Bounds.Positive(nameof(MaxNorm), maxNorm);

    /// <summary>
    /// One leaf's share of the global norm: its squared Euclidean norm in float64. The global norm is the square root of
    /// these summed in leaf order starting from 0, so a sharded optimizer that sums the same numbers in the same order
    /// (wherever they were computed) clips with the same bits.
    /// </summary>
    public static double LeafSquaredNorm(torch.Tensor leaf) => Leafwise.SquaredNorm(Check.NotNull(leaf, nameof(leaf)));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var norm = Leafwise.GlobalNorm(gradients);
        using var factor = (MaxNorm / norm).ToScalar();
        return new(Leafwise.Map(gradients, (_, g) => norm > MaxNorm ? g.Value.mul(factor) : g.Value.alias()), EmptyState.Instance);
    }
}

/// <summary>
/// Adaptive gradient clipping (Brock et al. 2021), per tensor: an update whose norm exceeds
/// <c>Clipping * max(|p|, Eps)</c> (|p| the parameter's norm) is scaled down to that norm; others pass unchanged.
/// Stateless.
/// </summary>
/// <param name="Clipping">The allowed ratio of update norm to parameter norm, &gt; 0.</param>
/// <param name="Eps">The smallest parameter norm used, &gt;= 0 (the paper: 1e-3).</param>
public sealed record AdaptiveClip(double Clipping, double Eps) : IGradientTransformation
{
    /// <summary>The allowed ratio, &gt; 0.</summary>
    public double Clipping { get; init => field = Check.Positive(value, nameof(Clipping)); } = Check.Positive(Clipping, nameof(Clipping));

    /// <summary>The smallest parameter norm used, &gt;= 0.</summary>
    public double Eps { get; init => field = Check.NonNegative(value, nameof(Eps)); } = Check.NonNegative(Eps, nameof(Eps));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        Check.SameLeaves(parameters, gradients);
        return new(Leafwise.Map(gradients, (i, g) =>
        {
            var limit = Clipping * Math.Max(Leafwise.Norm(parameters[i].Value), Eps);
            var norm = Leafwise.Norm(g.Value);
            if (!(norm > limit)) return g.Value.alias();
            using var factor = (limit / norm).ToScalar();
            return g.Value.mul(factor);
        }), EmptyState.Instance);
    }
}
