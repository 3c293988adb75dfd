using Functional.Training;

namespace Functional.Facade;

/// <summary>
/// The start of a fluent training run:
/// <c>Trainer.For(model).With(optimizer).ProgressBar().Checkpoints(dir).Fit(data, epochs)</c>, which is
/// <see cref="Fit.Run{TParams, TBatch}"/> with the <see cref="FitOptions"/> the calls describe.
/// </summary>
public static class Trainer
{
    /// <summary>A trainer for <paramref name="model"/> (its initial parameters and its loss).</summary>
    public static TrainerBuilder<TParams, TBatch> For<TParams, TBatch>(Trainable<TParams, TBatch> model) => new(model);

    /// <summary>A trainer for the model whose loss is <paramref name="loss"/>, starting at <paramref name="parameters"/>.</summary>
    public static TrainerBuilder<TParams, TBatch> For<TParams, TBatch>(TParams parameters, ModelLoss<TParams, TBatch> loss) =>
        new(new Trainable<TParams, TBatch>(parameters, loss));

    /// <summary>
    /// A trainer for the model with non-trained state (batch-norm running statistics, spectral vectors) whose loss is
    /// <paramref name="loss"/>, starting at <paramref name="parameters"/> and <paramref name="state"/>: the loss reads the
    /// state from <see cref="Functional.Core.StepContext.State"/> and returns the next one in
    /// <see cref="ModelOutput.NextState"/>; the fit threads it, checkpoints it and validates with it.
    /// </summary>
    public static TrainerBuilder<TParams, TBatch> For<TParams, TBatch>(TParams parameters, Functional.Core.ModelState state, ModelLoss<TParams, TBatch> loss) =>
        new(new Trainable<TParams, TBatch>(parameters, state, loss));
}
