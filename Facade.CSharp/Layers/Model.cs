using TorchSharp;
using Functional.Core;
using Functional.Training;

namespace Functional.Facade;

/// <summary>
/// A pure forward function: the output for <paramref name="input"/> under <paramref name="parameters"/>. It neither
/// mutates nor disposes its arguments and draws randomness only from the context's generator.
/// </summary>
public delegate torch.Tensor Forward<in TParams>(TParams parameters, torch.Tensor input, StepContext context);

/// <summary>
/// A model built by the facade: its parameters (a tree of core parameter records) and its pure forward function.
/// Training replaces the parameters and keeps the function.
/// </summary>
/// <param name="Parameters">The parameter tree.</param>
/// <param name="Forward">The forward function, for these parameters or any tree of the same structure.</param>
public sealed record Model<TParams>(TParams Parameters, Forward<TParams> Forward)
{
    /// <summary>
    /// The model with its loss inside it, as training sees it (<see cref="ModelLoss{TParams, TBatch}"/>):
    /// <paramref name="loss"/> gets the forward output for <paramref name="input"/>'s part of the batch and the batch.
    /// </summary>
    public Trainable<TParams, TBatch> WithLoss<TBatch>(Func<TBatch, torch.Tensor> input, Func<torch.Tensor, TBatch, ModelOutput> loss) =>
        new(Parameters, (parameters, batch, context) => loss(Forward(parameters, input(batch), context), batch));
}

/// <summary>
/// What a trainer needs: initial parameters, the model's initial non-trained state (<see cref="ModelState.Empty"/> for a
/// stateless model) and the model's loss, which reads the state from <see cref="StepContext.State"/> and returns the next
/// one in <see cref="ModelOutput.NextState"/>.
/// </summary>
/// <param name="Parameters">The initial parameter tree.</param>
/// <param name="Loss">The model with its loss inside it.</param>
public sealed record Trainable<TParams, TBatch>(TParams Parameters, ModelLoss<TParams, TBatch> Loss)
{
    readonly ModelState state = ModelState.Empty;

    /// <summary>A model with non-trained state (batch-norm running statistics, spectral vectors) that starts at <paramref name="state"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null (use <see cref="ModelState.Empty"/> for none).</exception>
    public Trainable(TParams parameters, ModelState state, ModelLoss<TParams, TBatch> loss) : this(parameters, loss) => State = state;

    /// <summary>
    /// The model's initial non-trained state, a tree of tensors the model returns anew each training step; training
    /// copies it (the caller keeps its own tensors). <see cref="ModelState.Empty"/> by default.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public ModelState State
    {
        get => state;
        init => state = value ?? throw new ArgumentNullException(nameof(State), "A model without state has ModelState.Empty, not null.");
    }
}
