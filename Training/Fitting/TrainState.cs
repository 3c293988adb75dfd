using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Training;

/// <summary>
/// Everything a training run needs to continue exactly: a value, saved and loaded as one checkpoint
/// (<see cref="TrainStateFile"/>). Resuming from it gives bit-identical parameters to an uninterrupted run. Its tensors are
/// walked in one place, <see cref="TrainStateTree"/>, for saving, loading, sizing, releasing, broadcasting and checksums.
/// </summary>
/// <typeparam name="TParams">The parameter record.</typeparam>
/// <typeparam name="TModelState">The model's non-trained state record (<see cref="NoState"/> for a stateless model).</typeparam>
/// <param name="Parameters">The parameter tree.</param>
/// <param name="OptimizerState">The state of the optimizer pipeline (its moments, accumulators, EMA, counters).</param>
/// <param name="Step">Training steps taken (micro-batches, whether or not an accumulating pipeline updated).</param>
/// <param name="RandomState">The state of the generator the model draws from: the bytes of a <c>torch.Generator</c> on the parameters' device.</param>
/// <param name="Position">Where in the data the next batch comes from.</param>
/// <param name="ModelState">
/// The model's non-trained state (batch-norm statistics, spectral vectors), a tree of tensors: the model reads it and
/// returns the next one; no gradient flows into it and the optimizer never sees it. <see cref="NoState.Value"/> for a stateless model.
/// </param>
public sealed record TrainState<TParams, TModelState>(TParams Parameters, object OptimizerState, long Step, torch.Tensor RandomState, DataPosition Position, TModelState ModelState);

/// <summary>Creating and releasing <see cref="TrainState{TParams, TModelState}"/> values.</summary>
public static class TrainState
{
    /// <summary>
    /// The state before the first step: the given parameters and model state (aliased, so the caller keeps its own; a
    /// stateless model passes <see cref="NoState.Value"/>), the pipeline's initial state, step 0, a generator seeded with
    /// <paramref name="seed"/> on the parameters' device (torch's default generator device when the tree has no tensor),
    /// and the start of the data.
    /// </summary>
    public static TrainState<TParams, TModelState> Init<TParams, TModelState>(TParams parameters, TModelState modelState, IGradientTransformation optimizer, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(modelState);
        using var generator = new torch.Generator(seed, TrainingSteps.DeviceOf(parameters));
        return new TrainState<TParams, TModelState>(Tree.Map(parameters, p => p.alias()), Optimizer.Init(optimizer, parameters), 0, generator.get_state(), DataPosition.Start,
            Tree.Map(modelState, tensor => tensor.alias()));
    }

    /// <summary>
    /// Releases the native memory of <paramref name="state"/>: every tensor <see cref="TrainStateTree.Tensors{TParams, TModelState}"/>
    /// lists. States made by <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> never share tensor handles with the
    /// state they came from, so the previous state can be released as soon as the next exists.
    /// </summary>
    public static void Dispose<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        foreach (var tensor in TrainStateTree.Tensors(state)) tensor.Dispose();
    }
}
