namespace Functional.Optimizers;

/// <summary>
/// A learning rate (or any step-dependent factor) as a function of the update count: <c>Value(0)</c> is used by
/// the first real update. Implementations are immutable values; <see cref="Value"/> is pure and never negative.
/// </summary>
public interface ISchedule
{
    /// <summary>The value at update number <paramref name="step"/> (0-based).</summary>
    double Value(long step);
}
