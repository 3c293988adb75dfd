using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// The descent step: every update becomes <c>-Schedule.Value(Count) * update</c>, then <c>Count</c> advances by
/// one. The sign flip is built in, so learning rates are never negative.
/// </summary>
/// <param name="Schedule">The learning rate per update.</param>
public sealed record ScaleByLearningRate(ISchedule Schedule) : IGradientTransformation
{
    /// <summary>A constant learning rate (&gt;= 0).</summary>
    public ScaleByLearningRate(double learningRate) : this(new Constant(learningRate)) { }

    /// <summary>The learning rate per update.</summary>
    public ISchedule Schedule { get; init; } = Check.NotNull(Schedule, nameof(Schedule));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new CountState(0);

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var count = Check.State<CountState>(state, nameof(ScaleByLearningRate)).Count;
        var rate = Schedule.Value(count);
        if (!(rate >= 0) || double.IsInfinity(rate))
            throw new ArgumentOutOfRangeException(nameof(Schedule), rate, $"The schedule gave the learning rate {rate} at step {count}; it must be finite and >= 0.");
        using var negativeRate = (-rate).ToScalar();
        return new(Leafwise.Map(gradients, (_, g) => g.Value.mul(negativeRate)), new CountState(count + 1));
    }
}

/// <summary>The state of a stage that only counts its updates.</summary>
/// <param name="Count">Updates done so far.</param>
public sealed record CountState(long Count);
