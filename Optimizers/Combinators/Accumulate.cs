using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Gradient accumulation: <c>K</c> micro-batches make one real update of <c>Inner</c> with their mean gradient
/// <c>(g_1 + ... + g_K) / K</c> (summed in arrival order). On the other <c>K - 1</c> calls the updates are zeros,
/// so the parameters do not move, and the inner state (its step counter, schedules, EMA) does not advance.
/// <c>K = 1</c> is the inner transformation itself (bitwise).
/// </summary>
/// <param name="Inner">The transformation that makes the real updates.</param>
/// <param name="K">Micro-batches per update, &gt;= 1.</param>
public sealed record Accumulate(IGradientTransformation Inner, int K) : IGradientTransformation
{
    /// <summary>The transformation that makes the real updates.</summary>
    public IGradientTransformation Inner { get; init; } = Check.NotNull(Inner, nameof(Inner));

    /// <summary>Micro-batches per update, &gt;= 1.</summary>
    public int K { get; init => field = Check.AtLeastOne(value, nameof(K)); } = Check.AtLeastOne(K, nameof(K));

    /// <summary>The problems of this count (none when <c>new Accumulate(inner, k)</c> succeeds): the bounds its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(int k) => Bounds.AtLeastOne(nameof(K), k);

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) =>
        new AccumulateState(Counter.Of(0), ParameterTensors.Of(parameters, Leafwise.ZerosLike(parameters)), Inner.Init(parameters));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var accumulated = Check.State<AccumulateState>(state, nameof(Accumulate));
        Check.SameCount(gradients, accumulated.Sum, nameof(Accumulate));
        var microStep = Counter.Read(accumulated.MicroStep, nameof(Accumulate));
        var sum = gradients.Select((g, i) => microStep == 0 ? g.Value.alias() : accumulated.Sum[i].add(g.Value, Scalars.One)).ToArray();
        if (microStep + 1 < K)
            return new(Leafwise.Zeros(gradients), new AccumulateState(Counter.Of(microStep + 1), accumulated.Sum.With(sum), Tree.Map(accumulated.Inner, t => t.alias())));
        using var microBatches = K.ToScalar();
        var mean = Leafwise.WithValues(gradients, sum.Select(s => s.div(microBatches)).ToArray());
        var result = Inner.Update(mean, accumulated.Inner, parameters);
        return new(result.Updates, new AccumulateState(Counter.Of(0), accumulated.Sum.With(Leafwise.ZerosLike(gradients)), result.State));
    }
}

/// <summary>The state of <see cref="Accumulate"/>.</summary>
/// <param name="MicroStep">Micro-batches received since the last real update (0 .. K-1): a 0-d int64 CPU tensor.</param>
/// <param name="Sum">Their gradient sum, one per parameter leaf (zeros right after a real update; tree paths <c>sum/{parameter path}</c>).</param>
/// <param name="Inner">The inner transformation's state.</param>
public sealed record AccumulateState(torch.Tensor MicroStep, ParameterTensors Sum, object Inner);
