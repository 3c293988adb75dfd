namespace Functional.Training;

/// <summary>
/// One training step <c>(state, batch) -> (state, metrics)</c> as <see cref="Fit"/> runs it: by default
/// <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> of a model and pipeline; a data-parallel run gives its own (which
/// averages the gradients over processes). It must be pure in the same sense: the state and batch stay the caller's.
/// </summary>
public delegate StepResult<TParams, TModelState> TrainStep<TParams, TModelState, in TBatch>(TrainState<TParams, TModelState> state, TBatch batch);
