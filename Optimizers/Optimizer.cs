using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// The generic entry points: a transformation applied to the user's own parameter tree type, and the familiar
/// optimizers built by composition (see the aliases in <c>Optimizer.Aliases.cs</c>).
/// </summary>
public static partial class Optimizer
{
    /// <summary>The initial state of <paramref name="transformation"/> for <paramref name="parameters"/>.</summary>
    public static object Init<TParams>(IGradientTransformation transformation, TParams parameters) =>
        Check.NotNull(transformation, nameof(transformation)).Init(Tree.Flatten(parameters));

    /// <summary>
    /// The updates for <paramref name="gradients"/> (a tree of the parameters' structure) and the next state.
    /// Pure: nothing given is mutated or disposed; the old state stays valid.
    /// </summary>
    /// <exception cref="TreeMismatchException">The gradients do not have the parameters' paths and shapes.</exception>
    public static OptimizerUpdate<TParams> Update<TParams>(IGradientTransformation transformation, TParams gradients, object state, TParams parameters)
    {
        Check.NotNull(transformation, nameof(transformation));
        var parameterLeaves = Tree.Flatten(parameters);
        var gradientLeaves = Tree.Flatten(gradients);
        Check.SameLeaves(parameterLeaves, gradientLeaves);
        var result = transformation.Update(gradientLeaves, state, parameterLeaves);
        Check.SameLeaves(gradientLeaves, result.Updates);
        return new OptimizerUpdate<TParams>(Tree.Unflatten(parameters, result.Updates.Select(leaf => leaf.Value).ToArray()), result.State);
    }

    /// <summary>The new parameters <c>parameters + updates</c>, leaf by leaf (fresh tensors).</summary>
    /// <exception cref="TreeMismatchException">The trees differ in paths or shapes.</exception>
    public static TParams ApplyUpdates<TParams>(TParams parameters, TParams updates) =>
        Tree.Zip(parameters, updates, (parameter, update) => parameter.add(update, Scalars.One));

    /// <summary>
    /// One optimizer step: <see cref="Update{TParams}"/> then <see cref="ApplyUpdates{TParams}"/>, in one dispose
    /// scope (<see cref="Memory.Scoped{T}"/>); only the new parameters and the new state leave it. Inputs are
    /// untouched; the new state may share storage with the old one (through aliases) where a stage left a tensor
    /// unchanged, so dispose an old state only through its own handles.
    /// </summary>
    /// <remarks>
    /// Every transformation runs stage by stage, except a <see cref="Functional.Optimizers.FusedAdam"/> given here itself: on float32 CPU
    /// trees of at least <see cref="Functional.Optimizers.FusedAdam.MinimumElements"/> elements its step runs as one fused pass over the
    /// elements, which agrees with the stage-by-stage result up to float32 rounding. Which kernel runs depends on the
    /// transformation asked for, never on the shape of a chain.
    /// </remarks>
    public static OptimizerStep<TParams> Step<TParams>(IGradientTransformation transformation, TParams gradients, object state, TParams parameters)
    {
        // The fused path allocates only the tensors it returns, so it needs no dispose scope of its own.
        var fused = Check.NotNull(transformation, nameof(transformation)) is Functional.Optimizers.FusedAdam adam
            ? FusedAdamStep.TryStep(adam, Tree.Flatten(gradients), state, Tree.Flatten(parameters))
            : null;
        if (fused is { } result) return new OptimizerStep<TParams>(Tree.Unflatten(parameters, result.Parameters), result.State);
        return Memory.Scoped(() =>
        {
            var update = Update(transformation, gradients, state, parameters);
            return new OptimizerStep<TParams>(ApplyUpdates(parameters, update.Updates), update.State);
        });
    }

    /// <summary>The initial state of a multi-evaluation step for <paramref name="parameters"/>.</summary>
    public static object Init<TParams>(IMultiEvaluationStep step, TParams parameters) =>
        Check.NotNull(step, nameof(step)).Init(Tree.Flatten(parameters));

    /// <summary>
    /// One step of a multi-evaluation optimizer on <paramref name="loss"/>: the gradient at the parameters (and at
    /// any other point the step asks for) comes from <see cref="Autodiff.ValueAndGrad{TParams}"/>. Runs in one
    /// dispose scope; only the new parameters and state leave it. Inputs are untouched.
    /// </summary>
    public static OptimizerStep<TParams> Step<TParams>(IMultiEvaluationStep step, Func<TParams, torch.Tensor> loss, object state, TParams parameters) =>
        Memory.Scoped(() =>
        {
            Check.NotNull(step, nameof(step));
            IReadOnlyList<TreeLeaf> GradientAt(IReadOnlyList<TreeLeaf> point) =>
                Tree.Flatten(Autodiff.ValueAndGrad(loss, Tree.Unflatten(parameters, point.Select(leaf => leaf.Value).ToArray())).Gradient);
            var parameterLeaves = Tree.Flatten(parameters);
            var result = step.Update(GradientAt, GradientAt(parameterLeaves), state, parameterLeaves);
            Check.SameLeaves(parameterLeaves, result.Updates);
            var updates = Tree.Unflatten(parameters, result.Updates.Select(leaf => leaf.Value).ToArray());
            return new OptimizerStep<TParams>(ApplyUpdates(parameters, updates), result.State);
        });
}

/// <summary>The result of <see cref="Optimizer.Update{TParams}"/>.</summary>
/// <param name="Updates">A tree of the parameters' structure, to be added to the parameters.</param>
/// <param name="State">The next optimizer state.</param>
public sealed record OptimizerUpdate<TParams>(TParams Updates, object State);

/// <summary>The result of an optimizer step (the <c>Optimizer.Step</c> overloads).</summary>
/// <param name="Parameters">The new parameters.</param>
/// <param name="State">The next optimizer state.</param>
public sealed record OptimizerStep<TParams>(TParams Parameters, object State);
