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
    /// The model with its loss inside it, as training sees it (<see cref="ModelLoss{TParams, TModelState, TBatch}"/>; a
    /// facade model is stateless, so its state is <see cref="NoState"/>): <paramref name="loss"/> gets the forward output
    /// for <paramref name="input"/>'s part of the batch and the batch.
    /// </summary>
    public Trainable<TParams, NoState, TBatch> WithLoss<TBatch>(Func<TBatch, torch.Tensor> input, Func<torch.Tensor, TBatch, ModelOutput> loss) =>
        new(Parameters, NoState.Value, (parameters, batch, context) => loss(Forward(parameters, input(batch), context), batch));
}

/// <summary>
/// What a trainer needs: initial parameters, the model's initial non-trained state and the model's loss, which reads the
/// state from <see cref="StepContext{TModelState}.State"/> and returns the next one in
/// <see cref="ModelOutput{TModelState}.NextState"/>. A stateless model has the state <see cref="NoState.Value"/>.
/// </summary>
/// <typeparam name="TParams">The parameter record.</typeparam>
/// <typeparam name="TModelState">The model state's record (batch-norm running statistics; <see cref="NoState"/> for none).</typeparam>
/// <typeparam name="TBatch">The batch type.</typeparam>
/// <param name="Parameters">The initial parameter tree.</param>
/// <param name="State">
/// The model's initial non-trained state, a tree of tensors the model returns anew each training step; training copies it
/// (the caller keeps its own tensors).
/// </param>
/// <param name="Loss">The model with its loss inside it.</param>
public sealed record Trainable<TParams, TModelState, TBatch>(TParams Parameters, TModelState State, ModelLoss<TParams, TModelState, TBatch> Loss)
{
    /// <summary>The model's initial non-trained state; never null (<see cref="NoState.Value"/> for a stateless model).</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public TModelState State { get; init; } = State ?? throw new ArgumentNullException(nameof(State), "A model without state has NoState.Value, not null.");
}
