using Functional.Core;
namespace Functional.Training;

/// <summary>
/// A model as training sees it: a pure function of parameters, a batch and the step context (with the model's
/// non-trained state) to a loss, metrics and the next state. It must not mutate or dispose the parameters, the state or
/// the batch, and must draw randomness only from the context's generator.
/// </summary>
/// <remarks>
/// A stateless model is written against the base types, <c>ModelOutput Model(TParams, TBatch, StepContext)</c>, and
/// converts to <c>ModelLoss&lt;TParams, NoState, TBatch&gt;</c> as it is (a <see cref="StepContext{TModelState}"/> is a
/// <see cref="StepContext"/>, a <see cref="ModelOutput"/> is a <see cref="ModelOutput{TModelState}"/> of <see cref="NoState"/>).
/// </remarks>
public delegate ModelOutput<TModelState> ModelLoss<in TParams, TModelState, in TBatch>(TParams parameters, TBatch batch, StepContext<TModelState> context);
