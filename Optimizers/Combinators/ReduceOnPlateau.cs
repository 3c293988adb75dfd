using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Scales the updates of <see cref="Inner"/> by a factor that drops by <see cref="Factor"/> when a validation metric stops
/// improving (Keras' <c>ReduceLROnPlateau</c>, Optax contrib's <c>reduce_on_plateau</c>). The fit loop feeds the metric
/// <see cref="Monitor"/> after each completed epoch (<see cref="IMetricFed"/>); the updates themselves never read it.
/// </summary>
/// <remarks>
/// The law, as Optax's: values are averaged over <see cref="AccumulationSize"/> observations; each average
/// <c>v</c> (negated when <see cref="Minimize"/> is false) improves when <c>v &lt; (1 - rtol)·best - atol</c>, and then
/// becomes the best and resets the plateau count, else the count grows. In cooldown (cooldown count above 0) the plateau
/// count is reset and the cooldown count drops by one. Otherwise, when the plateau count reaches <see cref="Patience"/>,
/// the scale becomes <c>max(scale·factor, minScale)</c>, the plateau count 0 and the cooldown count
/// <see cref="Cooldown"/>. The state (scale, best, counts, running average) is 0-d tensors, so it checkpoints and resumes
/// bit-exactly; until the first reduction the scale is exactly 1 and the updates equal <see cref="Inner"/>'s bitwise.
/// Put it outermost in the pipeline: the fit feeds only the transformation it is given. Under MPI every rank must
/// compute the same validation metric (each rank feeds its own copy of the state).
/// </remarks>
/// <param name="Inner">The pipeline whose updates are scaled.</param>
/// <param name="Monitor">The validation metric followed (<c>loss</c>, or one the validation reports).</param>
/// <param name="Minimize">Whether smaller is better (false for accuracy or ROUGE).</param>
/// <param name="Factor">The scale's multiplier at a plateau, in (0, 1).</param>
/// <param name="Patience">Observations (after averaging) without improvement before the scale drops; at least 1.</param>
/// <param name="RelativeTolerance">The relative improvement needed (Optax's <c>rtol</c>), in [0, 1].</param>
/// <param name="AbsoluteTolerance">The absolute improvement needed (Optax's <c>atol</c>), not negative.</param>
/// <param name="Cooldown">Observations after a drop during which plateaus are not counted; not negative.</param>
/// <param name="AccumulationSize">Observations averaged into one value before the law is applied; at least 1.</param>
/// <param name="MinScale">The least scale, in [0, 1].</param>
public sealed record ReduceOnPlateau(
    IGradientTransformation Inner, string Monitor, bool Minimize, double Factor, int Patience, double RelativeTolerance,
    double AbsoluteTolerance, int Cooldown, int AccumulationSize, double MinScale) : IMetricFed
{
    /// <summary>The pipeline whose updates are scaled.</summary>
    public IGradientTransformation Inner { get; init; } = Check.NotNull(Inner, nameof(Inner));

    /// <summary>The validation metric followed.</summary>
    public string Monitor { get; init; } = string.IsNullOrWhiteSpace(Monitor)
        ? throw new ArgumentException($"{nameof(Monitor)}: name the validation metric to follow, got '{Monitor}'.", nameof(Monitor))
        : Monitor;

    /// <summary>The scale's multiplier at a plateau, in (0, 1).</summary>
    public double Factor { get; init; } = Problems.OrThrow(Factor, Bounds.OpenFraction(nameof(Factor), Factor));

    /// <summary>Observations without improvement before the scale drops.</summary>
    public int Patience { get; init; } = Check.AtLeastOne(Patience, nameof(Patience));

    /// <summary>The relative improvement needed.</summary>
    public double RelativeTolerance { get; init; } = Check.Fraction(RelativeTolerance, nameof(RelativeTolerance));

    /// <summary>The absolute improvement needed.</summary>
    public double AbsoluteTolerance { get; init; } = Check.NonNegative(AbsoluteTolerance, nameof(AbsoluteTolerance));

    /// <summary>Observations after a drop during which plateaus are not counted.</summary>
    public int Cooldown { get; init; } = (int)Check.NonNegative((long)Cooldown, nameof(Cooldown));

    /// <summary>Observations averaged into one value.</summary>
    public int AccumulationSize { get; init; } = Check.AtLeastOne(AccumulationSize, nameof(AccumulationSize));

    /// <summary>The least scale.</summary>
    public double MinScale { get; init; } = Check.Fraction(MinScale, nameof(MinScale));

    /// <summary>
    /// Optax's defaults around <paramref name="inner"/>, minimizing <paramref name="monitor"/>: factor 0.1, patience 10,
    /// relative tolerance 1e-4, no absolute tolerance, no cooldown, no accumulation, least scale 0.
    /// </summary>
    public static ReduceOnPlateau For(IGradientTransformation inner, string monitor) => new(inner, monitor, true, 0.1, 10, 1e-4, 0, 0, 1, 0);

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters)
    {
        // On the parameters' device (torch's default one for a tree without tensors).
        var device = parameters.Count > 0 ? parameters[0].Value.device : null;
        return new ReduceOnPlateauState(
            torch.tensor(1.0, torch.float64, device), torch.tensor(double.PositiveInfinity, torch.float64, device),
            torch.tensor(0L, torch.int64, device), torch.tensor(0L, torch.int64, device),
            torch.tensor(0L, torch.int64, device), torch.tensor(0.0, torch.float64, device), Inner.Init(parameters));
    }

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var plateau = Check.State<ReduceOnPlateauState>(state, nameof(ReduceOnPlateau));
        var result = Inner.Update(gradients, plateau.Inner, parameters);
        var next = plateau.WithInner(result.State);
        var factor = plateau.Scale.item<double>();
        if (factor == 1.0) return new(result.Updates, next);
        // A held Scalar keeps each update's dtype (a 0-d float64 tensor would promote a 0-d float32 leaf). The inner
        // updates are fresh tensors of this step: scaled, then released.
        using var scale = factor.ToScalar();
        var updates = Leafwise.Map(result.Updates, (_, u) => u.Value.mul(scale));
        foreach (var leaf in result.Updates) leaf.Value.Dispose();
        return new(updates, next);
    }

    /// <inheritdoc />
    public object Observe(object state, double value)
    {
        var plateau = Check.State<ReduceOnPlateauState>(state, nameof(ReduceOnPlateau));
        var now = ReduceOnPlateauLaw.Observe(this, ReduceOnPlateauLaw.Read(plateau), value);
        return ReduceOnPlateauLaw.Write(now, plateau.Scale.device, plateau.Inner);
    }

    /// <summary>The learning rate the updates apply: <paramref name="innerRate"/> times the state's scale.</summary>
    public static double ScaledRate(double innerRate, ReduceOnPlateauState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return innerRate * state.Scale.item<double>();
    }
}

/// <summary>The state of <see cref="ReduceOnPlateau"/>: 0-d tensors (float64 values, int64 counts) and the inner pipeline's state.</summary>
/// <param name="Scale">The factor applied to the inner updates (1 until the first plateau); its tree segment is <see cref="Hyperparameters.LearningRateScale"/>, so <see cref="Optimizer.LearningRate(object)"/> applies it.</param>
/// <param name="BestValue">The best averaged value so far (in minimizing terms: negated when maximizing); +infinity before the first.</param>
/// <param name="PlateauCount">Averaged observations since the last improvement.</param>
/// <param name="CooldownCount">Observations of cooldown left.</param>
/// <param name="Count">Observations in the running average.</param>
/// <param name="AverageValue">The running average of the current accumulation.</param>
/// <param name="Inner">The inner pipeline's state.</param>
public sealed record ReduceOnPlateauState(
    [property: TreeName(Hyperparameters.LearningRateScale)] torch.Tensor Scale, torch.Tensor BestValue, torch.Tensor PlateauCount, torch.Tensor CooldownCount, torch.Tensor Count, torch.Tensor AverageValue, object Inner)
{
    /// <summary>This state's own tensors as fresh aliases, around a new inner state.</summary>
    internal ReduceOnPlateauState WithInner(object inner) =>
        new(Scale.alias(), BestValue.alias(), PlateauCount.alias(), CooldownCount.alias(), Count.alias(), AverageValue.alias(), inner);
}
