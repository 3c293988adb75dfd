using Functional.Core;

namespace Functional.Optimizers;

/// <summary>The same value at every step.</summary>
/// <param name="Rate">The value; finite and &gt;= 0.</param>
public sealed record Constant(double Rate) : ISchedule
{
    /// <summary>The value; finite and &gt;= 0.</summary>
    public double Rate { get; init => field = Check.NonNegative(value, nameof(Rate)); } = Check.NonNegative(Rate, nameof(Rate));

    /// <summary>The problems of this rate (none when <c>new Constant(rate)</c> succeeds): the bounds its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(double rate) => Bounds.NonNegative(nameof(Rate), rate);

    /// <inheritdoc />
    public double Value(long step) => Rate;
}

/// <summary>One knot of a <see cref="PiecewiseLinear"/> schedule: at <paramref name="Step"/> the schedule is <c>Base * Multiplier</c>.</summary>
/// <param name="Step">The step, &gt;= 0.</param>
/// <param name="Multiplier">The multiplier of the base value there, &gt;= 0.</param>
public sealed record Knot(long Step, double Multiplier)
{
    /// <summary>The step, &gt;= 0.</summary>
    public long Step { get; init => field = Check.NonNegative(value, nameof(Step)); } = Check.NonNegative(Step, nameof(Step));

    /// <summary>The multiplier, finite and &gt;= 0.</summary>
    public double Multiplier { get; init => field = Check.NonNegative(value, nameof(Multiplier)); } = Check.NonNegative(Multiplier, nameof(Multiplier));
}

/// <summary>
/// <c>Base</c> times a piecewise-linear multiplier: exactly <c>Base * knot.Multiplier</c> at every knot, linear
/// between knots, constant after the last. When no knot is at step 0 the multiplier starts at 0 there (a linear
/// warm-up from 0 to the first knot).
/// </summary>
/// <param name="Base">The base value, finite and &gt;= 0.</param>
/// <param name="Knots">At least one knot, strictly increasing steps.</param>
public sealed record PiecewiseLinear(double Base, IReadOnlyList<Knot> Knots) : ISchedule
{
    /// <summary>The base value.</summary>
    public double Base { get; init => field = Check.NonNegative(value, nameof(Base)); } = Check.NonNegative(Base, nameof(Base));

    /// <summary>The knots, strictly increasing steps (at least one).</summary>
    public IReadOnlyList<Knot> Knots { get; init => field = Validate(value); } = Validate(Knots);

    static Knot[] Validate(IReadOnlyList<Knot> knots)
    {
        var copy = Check.NotNull(knots, nameof(Knots)).ToArray();
        if (copy.Length == 0) throw new ArgumentOutOfRangeException(nameof(Knots), 0, "A piecewise-linear schedule needs at least one knot.");
        for (var i = 1; i < copy.Length; i++)
            if (copy[i].Step <= copy[i - 1].Step)
                throw new ArgumentOutOfRangeException(nameof(Knots), copy[i].Step, $"Knot steps must increase strictly; step {copy[i].Step} follows {copy[i - 1].Step}.");
        return copy[0].Step == 0 ? copy : [new Knot(0, 0), .. copy];
    }

    /// <inheritdoc />
    public double Value(long step)
    {
        if (step <= Knots[0].Step) return Base * Knots[0].Multiplier;
        for (var i = 1; i < Knots.Count; i++)
        {
            var (left, right) = (Knots[i - 1], Knots[i]);
            if (step == right.Step) return Base * right.Multiplier;
            if (step < right.Step)
            {
                var t = (double)(step - left.Step) / (right.Step - left.Step);
                return Base * (left.Multiplier + t * (right.Multiplier - left.Multiplier));
            }
        }
        return Base * Knots[^1].Multiplier;
    }

    /// <summary>Equal base and equal knots in order.</summary>
    public bool Equals(PiecewiseLinear? other) => other is not null && Base == other.Base && Knots.SequenceEqual(other.Knots);

    /// <inheritdoc />
    public override int GetHashCode() => Knots.Aggregate(Base.GetHashCode(), HashCode.Combine);
}

/// <summary>
/// Linear warm-up from 0 to <c>Peak</c> over <c>WarmupSteps</c>, then cosine decay from <c>Peak</c> to <c>End</c>
/// over <c>DecaySteps</c>, then <c>End</c>.
/// </summary>
/// <param name="Peak">The value after warm-up.</param>
/// <param name="WarmupSteps">Warm-up length (0: start at the peak).</param>
/// <param name="DecaySteps">Cosine length, &gt;= 1.</param>
/// <param name="End">The final value, &lt;= Peak.</param>
public sealed record WarmupCosine(double Peak, long WarmupSteps, long DecaySteps, double End) : ISchedule
{
    /// <summary>The value after warm-up.</summary>
    public double Peak { get; init => field = Check.NonNegative(value, nameof(Peak)); } = Check.NonNegative(Peak, nameof(Peak));

    /// <summary>Warm-up length.</summary>
    public long WarmupSteps { get; init => field = Check.NonNegative(value, nameof(WarmupSteps)); } = Check.NonNegative(WarmupSteps, nameof(WarmupSteps));

    /// <summary>Cosine length, &gt;= 1.</summary>
    public long DecaySteps { get; init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(DecaySteps), value, "DecaySteps must be at least 1."); } =
        DecaySteps >= 1 ? DecaySteps : throw new ArgumentOutOfRangeException(nameof(DecaySteps), DecaySteps, "DecaySteps must be at least 1.");

    /// <summary>The final value.</summary>
    public double End { get; init => field = Check.NonNegative(value, nameof(End)); } = Check.NonNegative(End, nameof(End));

    /// <inheritdoc />
    public double Value(long step)
    {
        if (step < WarmupSteps) return Peak * step / WarmupSteps;
        var t = Math.Min(1.0, (double)(step - WarmupSteps) / DecaySteps);
        return End + (Peak - End) * 0.5 * (1 + Math.Cos(Math.PI * t));
    }
}

/// <summary><c>Initial * DecayRate^(step / TransitionSteps)</c> (continuous exponent).</summary>
/// <param name="Initial">The value at step 0.</param>
/// <param name="DecayRate">The factor per <c>TransitionSteps</c>, in (0, 1].</param>
/// <param name="TransitionSteps">Steps per factor, &gt;= 1.</param>
public sealed record ExponentialDecay(double Initial, double DecayRate, long TransitionSteps) : ISchedule
{
    /// <summary>The value at step 0.</summary>
    public double Initial { get; init => field = Check.NonNegative(value, nameof(Initial)); } = Check.NonNegative(Initial, nameof(Initial));

    /// <summary>The factor per transition, in (0, 1].</summary>
    public double DecayRate { get; init => field = Rate(value); } = Rate(DecayRate);

    /// <summary>Steps per factor, &gt;= 1.</summary>
    public long TransitionSteps { get; init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(TransitionSteps), value, "TransitionSteps must be at least 1."); } =
        TransitionSteps >= 1 ? TransitionSteps : throw new ArgumentOutOfRangeException(nameof(TransitionSteps), TransitionSteps, "TransitionSteps must be at least 1.");

    static double Rate(double value) =>
        value is > 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(DecayRate), value, $"DecayRate must be in (0, 1], got {value}.");

    /// <inheritdoc />
    public double Value(long step) => Initial * Math.Pow(DecayRate, (double)step / TransitionSteps);
}
