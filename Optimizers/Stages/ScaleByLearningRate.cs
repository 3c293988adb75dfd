using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// The descent step: every update becomes <c>-rate * update</c>, where <c>rate</c> is the learning rate injected in the
/// state (Optax's <c>inject_hyperparams</c>): <see cref="LearningRateState.LearningRate"/>, which is
/// <c>Schedule.Value(Count)</c> unless someone changed it in the state. Then <c>Count</c> advances by one and the state
/// holds <c>Schedule.Value(Count + 1)</c>, the rate of the next update. The sign flip is built in, so learning rates are
/// never negative.
/// </summary>
/// <param name="Schedule">The learning rate per update.</param>
public sealed record ScaleByLearningRate(ISchedule Schedule) : IGradientTransformation
{
    /// <summary>A constant learning rate (&gt;= 0).</summary>
    public ScaleByLearningRate(double learningRate) : this(new Constant(learningRate)) { }

    /// <summary>The learning rate per update.</summary>
    public ISchedule Schedule { get; init; } = Check.NotNull(Schedule, nameof(Schedule));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => LearningRateState.At(0, Schedule.Value(0));

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The state's rate is negative, infinite or NaN.</exception>
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var (count, rate) = Read(Check.State<LearningRateState>(state, nameof(ScaleByLearningRate)));
        using var negativeRate = (-rate).ToScalar();
        return new(Leafwise.Map(gradients, (_, g) => g.Value.mul(negativeRate)), LearningRateState.At(count + 1, Schedule.Value(count + 1)));
    }

    /// <summary>The count and the rate a state holds, the rate checked (finite and &gt;= 0).</summary>
    internal static (long Count, double Rate) Read(LearningRateState state)
    {
        var count = Counter.Read(state.Count, nameof(ScaleByLearningRate));
        var rate = state.LearningRate.item<double>();
        if (!(rate >= 0) || double.IsInfinity(rate))
            throw new ArgumentOutOfRangeException(nameof(Schedule), rate, $"The learning rate at step {count} is {rate} (from the schedule or set in the state); it must be finite and >= 0.");
        return (count, rate);
    }
}

/// <summary>
/// The state of <see cref="ScaleByLearningRate"/>: its update count and the learning rate its next update uses, both
/// 0-d CPU tensors (int64, float64). The rate is a leaf named <see cref="Hyperparameters.LearningRate"/>, so
/// <see cref="Optimizer.LearningRate(object)"/> finds it in any state, and a new state with another rate changes the
/// next update.
/// </summary>
/// <param name="Count">Updates done so far.</param>
/// <param name="LearningRate">The rate of the next update (float64).</param>
public sealed record LearningRateState(torch.Tensor Count, torch.Tensor LearningRate)
{
    /// <summary>A state at update <paramref name="count"/> whose next update uses <paramref name="learningRate"/> (fresh tensors).</summary>
    public static LearningRateState At(long count, double learningRate) =>
        new(Counter.Of(count), torch.tensor(learningRate, torch.float64, torch.CPU));
}

/// <summary>The state of a stage that only counts its updates.</summary>
/// <param name="Count">Updates done so far: a 0-d int64 CPU tensor.</param>
public sealed record CountState(torch.Tensor Count)
{
    /// <summary>A state at update <paramref name="count"/> (a fresh tensor).</summary>
    public static CountState At(long count) => new(Counter.Of(count));
}
