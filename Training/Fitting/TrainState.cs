using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Training;

/// <summary>
/// Everything a training run needs to continue exactly: a value, saved and loaded as one checkpoint
/// (<see cref="TrainStateFile"/>). Resuming from it gives bit-identical parameters to an uninterrupted run.
/// </summary>
/// <param name="Parameters">The parameter tree.</param>
/// <param name="OptimizerState">The state of the optimizer pipeline (its moments, accumulators, EMA, counters).</param>
/// <param name="Step">Training steps taken (micro-batches, whether or not an accumulating pipeline updated).</param>
/// <param name="RandomState">The state of the generator the model draws from: the bytes of a <c>torch.Generator</c> on the parameters' device.</param>
/// <param name="Position">Where in the data the next batch comes from.</param>
/// <param name="ModelState">
/// The model's non-trained state (batch-norm statistics, spectral vectors): the model reads it and returns the next one;
/// no gradient flows into it and the optimizer never sees it. <see cref="Core.ModelState.Empty"/> for a stateless model.
/// </param>
public sealed record TrainState<TParams>(TParams Parameters, object OptimizerState, long Step, torch.Tensor RandomState, DataPosition Position, ModelState ModelState);

/// <summary>Creating and releasing <see cref="TrainState{TParams}"/> values.</summary>
public static class TrainState
{
    /// <summary>
    /// The state before the first step: the given parameters (aliased, so the caller keeps its own), the pipeline's
    /// initial state, step 0, a generator seeded with <paramref name="seed"/> on the parameters' device (torch's default
    /// generator device when the tree has no tensor), and the start of the data.
    /// </summary>
    public static TrainState<TParams> Init<TParams>(TParams parameters, IGradientTransformation optimizer, ulong seed) =>
        Init(parameters, ModelState.Empty, optimizer, seed);

    /// <summary>
    /// As <see cref="Init{TParams}(TParams, IGradientTransformation, ulong)"/>, for a model with non-trained state: the
    /// state starts at <paramref name="modelState"/> (aliased, so the caller keeps its own tensors).
    /// </summary>
    public static TrainState<TParams> Init<TParams>(TParams parameters, ModelState modelState, IGradientTransformation optimizer, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(modelState);
        using var generator = new torch.Generator(seed, TrainingSteps.DeviceOf(parameters));
        return new TrainState<TParams>(Tree.Map(parameters, p => p.alias()), Optimizer.Init(optimizer, parameters), 0, generator.get_state(), DataPosition.Start,
            modelState.Map(tensor => tensor.alias()));
    }

    /// <summary>
    /// Releases the native memory of <paramref name="state"/>: its parameters, optimizer-state tensors, random state and
    /// model state. States made by <see cref="TrainingSteps.Step{TParams, TBatch}"/> never share tensor handles with the state they
    /// came from, so the previous state can be released as soon as the next exists.
    /// </summary>
    public static void Dispose<TParams>(TrainState<TParams> state)
    {
        Tree.Dispose(state.Parameters);
        foreach (var tensor in OptimizerStates.Tensors(state.OptimizerState)) tensor.Dispose();
        state.RandomState.Dispose();
        foreach (var tensor in state.ModelState.Leaves()) tensor.Dispose();
    }
}
