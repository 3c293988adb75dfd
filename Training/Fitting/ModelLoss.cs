using Functional.Core;
namespace Functional.Training;

/// <summary>
/// A model as training sees it: a pure function of parameters, a batch and the step context to a loss and metrics.
/// It must not mutate or dispose the parameters or the batch, and must draw randomness only from the context's generator.
/// </summary>
public delegate ModelOutput ModelLoss<in TParams, in TBatch>(TParams parameters, TBatch batch, StepContext context);
