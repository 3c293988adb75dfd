using Functional.Core;
using Functional.Training;

namespace Functional.Facade;

/// <summary>
/// The start of a fluent training run:
/// <c>Trainer.For(model).With(optimizer).ProgressBar().Checkpoints(dir).Fit(data, epochs)</c>, which is
/// <see cref="Fit.Run{TParams, TModelState, TBatch}"/> with the <see cref="FitOptions"/> the calls describe.
/// </summary>
public static class Trainer
{
    /// <summary>A trainer for <paramref name="model"/> (its initial parameters and state, and its loss).</summary>
    public static TrainerBuilder<TParams, TModelState, TBatch> For<TParams, TModelState, TBatch>(Trainable<TParams, TModelState, TBatch> model) => new(model);

    /// <summary>
    /// A trainer for the model whose loss is <paramref name="loss"/>, starting at <paramref name="parameters"/> and the
    /// model state <paramref name="state"/> (<see cref="Functional.Core.NoState.Value"/> for a stateless model; for a model
    /// with non-trained state, such as batch-norm running statistics, the loss reads it from
    /// <see cref="Functional.Core.StepContext{TModelState}.State"/> and returns the next one in
    /// <see cref="ModelOutput{TModelState}.NextState"/>; the fit threads it, checkpoints it and validates with it).
    /// </summary>
    public static TrainerBuilder<TParams, TModelState, TBatch> For<TParams, TModelState, TBatch>(TParams parameters, TModelState state, ModelLoss<TParams, TModelState, TBatch> loss) =>
        new(new Trainable<TParams, TModelState, TBatch>(parameters, state, loss));
}
