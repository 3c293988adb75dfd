namespace Functional.Optimizers;

/// <summary>
/// The names of the hyperparameters a state carries as 0-d leaves (Optax's <c>inject_hyperparams</c>): a stage that keeps
/// one in its state names the field so, and <see cref="Optimizer.LearningRate(object)"/> reads it by path, whatever the
/// stage's type.
/// </summary>
public static class Hyperparameters
{
    /// <summary>The leaf segment of a learning rate the next update uses (<see cref="LearningRateState.LearningRate"/>).</summary>
    public const string LearningRate = "learningRate";

    /// <summary>
    /// The leaf segment of a factor that scales every learning rate inside the same record (<see cref="ReduceOnPlateauState.Scale"/>):
    /// a leaf <c>p/learningRateScale</c> multiplies the rates at paths under <c>p/</c>.
    /// </summary>
    public const string LearningRateScale = "learningRateScale";
}
