using Functional.Core;

namespace Functional.Optimizers;

/// <summary>
/// Adam with an optional global-norm clip before it and an optional parameter average after it, chosen explicitly
/// for the fused kernel: <c>[Clip] Moments Rate [Average]</c>. As a transformation it is exactly its
/// <see cref="Staged"/> pipeline — <see cref="Init"/> and <see cref="Update"/> delegate to it, so its updates and
/// states are that chain's, bitwise, and its state saves and loads as that chain's does
/// (<see cref="OptimizerStates"/>). The difference is in <see cref="Optimizer.Step{TParams}(IGradientTransformation, TParams, object, TParams)"/>:
/// given a <c>FusedAdam</c> itself (not inside another chain or wrapper), on float32 CPU trees of at least
/// <see cref="MinimumElements"/> elements, the step runs as one pass per element that writes the new parameters,
/// moments and average, equal to the staged step up to float32 rounding.
/// </summary>
/// <remarks>
/// The contract: the fused kernel runs only when asked for by name. A staged chain of the same stages
/// (<see cref="Optimizer.Adam(double)"/>, with a clip or an average or not) always runs stage by stage; adding a stage
/// around a <c>FusedAdam</c> (a <see cref="Chain"/>, <see cref="Accumulate"/>, <see cref="PathMultipliers"/>) makes it
/// one stage of that pipeline, which runs its <see cref="Staged"/> updates. Nothing is recognised by its shape.
/// </remarks>
/// <param name="Clip">Global-norm clipping of the gradient first, or null for none.</param>
/// <param name="Moments">Adam's moments.</param>
/// <param name="Rate">The learning-rate stage.</param>
/// <param name="Average">The parameter average last, or null for none.</param>
public sealed record FusedAdam(ClipByGlobalNorm? Clip, ScaleByAdam Moments, ScaleByLearningRate Rate, ParameterEma? Average) : IGradientTransformation
{
    /// <summary>Below this many elements in the tree, <c>Optimizer.Step</c> runs <see cref="Staged"/> (the kernel's gain no longer pays for its setup).</summary>
    public const long MinimumElements = 1 << 16;

    /// <summary>Adam's moments.</summary>
    public ScaleByAdam Moments { get; init; } = Check.NotNull(Moments, nameof(Moments));

    /// <summary>The learning-rate stage.</summary>
    public ScaleByLearningRate Rate { get; init; } = Check.NotNull(Rate, nameof(Rate));

    /// <summary>The pipeline this one equals: <c>Chain(Clip, Moments, Rate, Average)</c>, each optional part only when given.</summary>
    public Chain Staged => new([
        .. Clip is { } clip ? [clip] : Array.Empty<IGradientTransformation>(),
        Moments,
        Rate,
        .. Average is { } average ? [average] : Array.Empty<IGradientTransformation>(),
    ]);

    /// <summary>The initial state: <see cref="Staged"/>'s.</summary>
    public object Init(IReadOnlyList<TreeLeaf> parameters) => Staged.Init(parameters);

    /// <summary>The updates and next state: <see cref="Staged"/>'s, bitwise.</summary>
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters) =>
        Staged.Update(gradients, state, parameters);
}
