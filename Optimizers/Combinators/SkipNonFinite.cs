using Functional.Core;
using TorchSharp;

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
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new SkipNonFiniteState(Counter.Of(0), Counter.Of(0), Inner.Init(parameters));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var skip = Check.State<SkipNonFiniteState>(state, nameof(SkipNonFinite));
        var skipped = Counter.Read(skip.Skipped, nameof(SkipNonFinite));
        var consecutive = Counter.Read(skip.Consecutive, nameof(SkipNonFinite));
        if (Leafwise.AllFinite(gradients))
        {
            var result = Inner.Update(gradients, skip.Inner, parameters);
            return new(result.Updates, new SkipNonFiniteState(Counter.Of(skipped), Counter.Of(0), result.State));
        }
        if (consecutive >= MaxConsecutive)
            throw new InvalidOperationException($"Giving up: {consecutive + 1} steps in a row had non-finite gradients (at most {MaxConsecutive} are skipped).");
        return new(Leafwise.Zeros(gradients), new SkipNonFiniteState(Counter.Of(skipped + 1), Counter.Of(consecutive + 1), Tree.Map(skip.Inner, t => t.alias())));
    }
}

/// <summary>The state of <see cref="SkipNonFinite"/>.</summary>
/// <param name="Skipped">Steps skipped in total: a 0-d int64 CPU tensor.</param>
/// <param name="Consecutive">Steps skipped since the last finite one: a 0-d int64 CPU tensor.</param>
/// <param name="Inner">The inner state.</param>
public sealed record SkipNonFiniteState(torch.Tensor Skipped, torch.Tensor Consecutive, object Inner);
