using Functional.Core;

namespace Functional.Optimizers;

/// <summary>
/// Guards <c>Inner</c> against non-finite gradients: a step whose gradients hold a NaN or an infinity gives zero
/// updates (the parameters do not move), leaves the inner state unchanged and is counted. After
/// <c>MaxConsecutive</c> such steps in a row the next one throws an <see cref="InvalidOperationException"/> (give up).
/// </summary>
/// <param name="Inner">The guarded transformation.</param>
/// <param name="MaxConsecutive">Non-finite steps tolerated in a row, &gt;= 1.</param>
public sealed record SkipNonFinite(IGradientTransformation Inner, int MaxConsecutive) : IGradientTransformation
{
    /// <summary>The guarded transformation.</summary>
    public IGradientTransformation Inner { get; init; } = Check.NotNull(Inner, nameof(Inner));

    /// <summary>Non-finite steps tolerated in a row, &gt;= 1.</summary>
    public int MaxConsecutive { get; init => field = Check.AtLeastOne(value, nameof(MaxConsecutive)); } = Check.AtLeastOne(MaxConsecutive, nameof(MaxConsecutive));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new SkipNonFiniteState(0, 0, Inner.Init(parameters));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var skip = Check.State<SkipNonFiniteState>(state, nameof(SkipNonFinite));
        if (Leafwise.AllFinite(gradients))
        {
            var result = Inner.Update(gradients, skip.Inner, parameters);
            return new(result.Updates, new SkipNonFiniteState(skip.Skipped, 0, result.State));
        }
        if (skip.Consecutive >= MaxConsecutive)
            throw new InvalidOperationException($"Giving up: {skip.Consecutive + 1} steps in a row had non-finite gradients (at most {MaxConsecutive} are skipped).");
        return new(Leafwise.Zeros(gradients), new SkipNonFiniteState(skip.Skipped + 1, skip.Consecutive + 1, Tree.Map(skip.Inner, t => t.alias())));
    }
}

/// <summary>The state of <see cref="SkipNonFinite"/>.</summary>
/// <param name="Skipped">Steps skipped in total.</param>
/// <param name="Consecutive">Steps skipped since the last finite one.</param>
/// <param name="Inner">The inner state.</param>
public sealed record SkipNonFiniteState(long Skipped, long Consecutive, object Inner);
