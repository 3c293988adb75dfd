using Functional.Core;

namespace Functional.Optimizers;

public static partial class Optimizer
{
    /// <summary>
    /// The learning rate the next real update will use, read from <paramref name="state"/> itself (Optax's
    /// <c>inject_hyperparams</c>): the first leaf named <see cref="Hyperparameters.LearningRate"/> in tree order (the
    /// state of the first <see cref="ScaleByLearningRate"/>, in stage order; a <see cref="Partition"/>'s default branch
    /// before its rules), times every <see cref="Hyperparameters.LearningRateScale"/> leaf of a record that holds it (the
    /// scale of a <see cref="ReduceOnPlateau"/> around it). Null when the state holds no rate. Per-path multipliers
    /// (<see cref="PathMultipliers"/>) scale this base rate and are not applied. Pure; no stage type is named here, so a
    /// stage of one's own that names a 0-d field <c>LearningRate</c> is found too.
    /// </summary>
    /// <param name="state">A pipeline's state (from <see cref="Init{TParams}(IGradientTransformation, TParams)"/> or a step).</param>
    public static double? LearningRate(object state)
    {
        Check.NotNull(state, nameof(state));
        var leaves = Tree.Flatten(state);
        var rate = leaves.FirstOrDefault(leaf => LastSegment(leaf.Path) == Hyperparameters.LearningRate);
        if (rate is null) return null;
        var value = rate.Value.item<double>();
        foreach (var leaf in leaves)
        {
            if (LastSegment(leaf.Path) != Hyperparameters.LearningRateScale) continue;
            var owner = leaf.Path[..^Hyperparameters.LearningRateScale.Length];
            if (rate.Path.StartsWith(owner, StringComparison.Ordinal)) value *= leaf.Value.item<double>();
        }
        return value;
    }

    static string LastSegment(string path) => path[(path.LastIndexOf('/') + 1)..];
}
