using TorchSharp;

namespace Functional.Core;

/// <summary>Native-memory discipline for steps: one dispose scope per step, only the results leave it.</summary>
public static class Memory
{
    /// <summary>
    /// Runs <paramref name="step"/> in a dispose scope of its own. The tensors of the returned tree (any
    /// parameter record, <see cref="ValueAndGradient{TParams}"/>, a tensor) survive; every other tensor the step
    /// created is disposed when it returns. Tensors that existed before the step are never disposed.
    /// </summary>
    public static T Scoped<T>(Func<T> step)
    {
        using var scope = torch.NewDisposeScope();
        var result = step();
        scope.MoveToOuter(Tree.Leaves(result));
        return result;
    }
}
