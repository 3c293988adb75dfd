using Functional.Core;
using TorchSharp;

namespace Functional.Training;

/// <summary>
/// What a model with non-trained state computes for a batch: the loss to minimise, any named scalar metrics computed
/// from its intermediates (an accuracy, a norm), and its next state. The loss is part of the model: there are no
/// separate outputs and targets. A stateless model returns the plain <see cref="ModelOutput"/>.
/// </summary>
/// <typeparam name="TModelState">The model state's record type.</typeparam>
/// <param name="Loss">A single floating-point number, differentiable in the parameters.</param>
/// <param name="Metrics">Scalar tensors by name; read as numbers after the step and never differentiated. The name <c>loss</c> is reserved.</param>
public record ModelOutput<TModelState>(torch.Tensor Loss, IReadOnlyDictionary<string, torch.Tensor> Metrics)
{
    /// <summary>
    /// The model's state after this batch (its tensors computed without gradient; the step detaches them anyway), or null
    /// when the model leaves the state it read from <see cref="StepContext{TModelState}.State"/> as it was. Ignored in evaluation.
    /// </summary>
    public TModelState? NextState { get; init; }
}

/// <summary>What a stateless model computes for a batch: its loss and metrics (a <see cref="ModelOutput{TModelState}"/> of <see cref="NoState"/>).</summary>
/// <param name="Loss">A single floating-point number, differentiable in the parameters.</param>
/// <param name="Metrics">Scalar tensors by name; read as numbers after the step and never differentiated. The name <c>loss</c> is reserved.</param>
public sealed record ModelOutput(torch.Tensor Loss, IReadOnlyDictionary<string, torch.Tensor> Metrics) : ModelOutput<NoState>(Loss, Metrics)
{
    /// <summary>A loss without metrics.</summary>
    public static ModelOutput Of(torch.Tensor loss) => new(loss, new Dictionary<string, torch.Tensor>());
}
