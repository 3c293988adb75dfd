namespace Functional.Training;

/// <summary>The outcome of one training step.</summary>
/// <param name="State">The state after the step.</param>
/// <param name="Metrics">The batch's loss (under <c>loss</c>) and the model's metrics, as numbers.</param>
public sealed record StepResult<TParams, TModelState>(TrainState<TParams, TModelState> State, IReadOnlyDictionary<string, double> Metrics);
