using Functional.Core;

namespace Functional.Training;

/// <summary>What <see cref="IRunGroup.Fit{TParams, TModelState, TBatch}"/> trains: the same on every process of the group.</summary>
/// <param name="Model">The model, whose loss is computed inside it.</param>
/// <param name="Optimizer">The pipeline; it sees the gradient of the global batch.</param>
/// <param name="State">The common starting state (the same on every process); it stays the caller's.</param>
/// <param name="Data">The run's global batches; each process loads its share.</param>
/// <param name="Validate">Validation after each epoch, run on every process (it must give every process the same numbers); null skips it.</param>
/// <param name="Options">Epochs, time limit, observers (run on the root only) and the rest of the fit.</param>
public sealed record GroupFit<TParams, TModelState, TBatch>(
    ModelLoss<TParams, TModelState, TBatch> Model,
    Functional.Optimizers.IGradientTransformation Optimizer,
    TrainState<TParams, TModelState> State,
    RunData<TBatch> Data,
    Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? Validate,
    FitOptions Options)
{
    /// <summary>The interval of step checkpoints (0: epoch ends only), for a group that must gather a sharded state before the checkpoint observer sees it.</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>The model's own training step (<see cref="RunPlan{TParams, TModelState, TBatch}.Step"/>); null: the usual step on <see cref="Model"/>.</summary>
    public TrainStep<TParams, TModelState, TBatch>? Step { get; init; }
}
