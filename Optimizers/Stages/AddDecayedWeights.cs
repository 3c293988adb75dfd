using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Decoupled weight decay: every update becomes <c>update + WeightDecay * parameter</c>, except at paths that match
/// one of <c>Excluded</c> (see <see cref="PathPattern"/>), whose updates pass unchanged. Placed before the
/// learning-rate stage this is AdamW's decay (<c>p * (1 - lr * wd)</c> then the Adam step, both from the old p).
/// </summary>
/// <param name="WeightDecay">The decay, finite and &gt;= 0.</param>
/// <param name="Excluded">Path patterns that get no decay (biases, norms); may be empty.</param>
public sealed record AddDecayedWeights(double WeightDecay, IReadOnlyList<string> Excluded) : IGradientTransformation
{
    /// <summary>Decay on every parameter.</summary>
    public AddDecayedWeights(double weightDecay) : this(weightDecay, []) { }

    /// <summary>The decay, finite and &gt;= 0.</summary>
    public double WeightDecay { get; init => field = Check.NonNegative(value, nameof(WeightDecay)); } = Check.NonNegative(WeightDecay, nameof(WeightDecay));

    /// <summary>The problems of this decay (none when <c>new AddDecayedWeights(weightDecay)</c> succeeds): the bounds its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(double weightDecay) => Bounds.NonNegative(nameof(WeightDecay), weightDecay);

    /// <summary>Path patterns that get no decay.</summary>
    public IReadOnlyList<string> Excluded { get; init; } = Check.NotNull(Excluded, nameof(Excluded)).ToArray();

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        Check.SameLeaves(parameters, gradients);
        using var weightDecay = WeightDecay.ToScalar();
        return new(Leafwise.Map(gradients, (i, g) =>
            Excluded.Any(pattern => PathPattern.Matches(pattern, g.Path)) ? g.Value.alias() : g.Value.add(parameters[i].Value.mul(weightDecay), Scalars.One)), EmptyState.Instance);
    }

    /// <summary>Equal decay and equal exclusions in order.</summary>
    public bool Equals(AddDecayedWeights? other) => other is not null && WeightDecay == other.WeightDecay && Excluded.SequenceEqual(other.Excluded);

    /// <inheritdoc />
    public override int GetHashCode() => Excluded.Aggregate(WeightDecay.GetHashCode(), HashCode.Combine);
}
