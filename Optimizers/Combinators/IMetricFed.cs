namespace Functional.Optimizers;

/// <summary>
/// A transformation whose state also follows a validation metric (<see cref="ReduceOnPlateau"/>): the fit loop passes it
/// the value of <see cref="Monitor"/> after each completed epoch's validation, and keeps the state it returns.
/// </summary>
public interface IMetricFed : IGradientTransformation
{
    /// <summary>The validation metric fed to <see cref="Observe"/>.</summary>
    string Monitor { get; }

    /// <summary>
    /// The state after seeing <paramref name="value"/>. Pure: <paramref name="state"/> is neither changed nor released;
    /// the result shares the inner pipeline's tensors with it and has fresh tensors of its own.
    /// </summary>
    object Observe(object state, double value);
}
