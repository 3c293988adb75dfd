using Functional.Core;
using Functional.Optimizers;

namespace Functional.Training;

/// <summary>
/// What a <see cref="FolderRun"/> trains: the fresh start, the pipeline, the model, the data and the validation. A
/// resumed run starts from the newest checkpoint instead of <see cref="Fresh"/>, which then serves as its template.
/// </summary>
/// <param name="Fresh">The parameters of a fresh start (the caller's: copied, never released).</param>
/// <param name="FreshModelState">The model state of a fresh start (<see cref="NoState.Value"/> for a model without one; the caller's).</param>
/// <param name="Optimizer">The pipeline.</param>
/// <param name="Model">The model, whose loss is computed inside it.</param>
/// <param name="Data">The global batches (each process of the group loads its share).</param>
/// <param name="Seed">Seeds the train state's random state on a fresh start.</param>
public sealed record RunPlan<TParams, TModelState, TBatch>(TParams Fresh, TModelState FreshModelState, IGradientTransformation Optimizer, ModelLoss<TParams, TModelState, TBatch> Model, RunData<TBatch> Data, ulong Seed)
{
    /// <summary>Validation after each epoch, run on every process (same numbers on each); null: none (and so no best kept).</summary>
    public Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? Validate { get; init; }

    /// <summary>Epochs, time limit, early stopping, evaluation with the EMA, and the user's observers (run on the root, after the metrics log and before the best and checkpoint observers).</summary>
    public FitOptions Fit { get; init; } = FitOptions.Default;

    /// <summary>
    /// Called on the root after a validation became the best by <see cref="RunOptions.Best"/> (after it was kept in
    /// <c>best/</c>), with the validated parameters and model state (neither to be kept or released): for a model that
    /// also keeps its best in a format of its own, such as a servable model file. Null: nothing more.
    /// </summary>
    public Action<TParams, TModelState>? KeepBestModel { get; init; }

    /// <summary>
    /// A training step of the model's own in place of <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> on <see cref="Model"/>
    /// (an alternating GAN step, say), for <see cref="Fit.RunSteps{TParams, TModelState, TBatch}"/>; null: the usual step. A group of
    /// several processes refuses it (its step reduces the model's gradients itself).
    /// </summary>
    public TrainStep<TParams, TModelState, TBatch>? Step { get; init; }
}
