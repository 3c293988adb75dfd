using TorchSharp;

namespace Functional.Training;

/// <summary>
/// What a model computes for a batch: the loss to minimise and any named scalar metrics computed from its
/// intermediates (an accuracy, a norm). The loss is part of the model: there are no separate outputs and targets.
/// </summary>
/// <param name="Loss">A single floating-point number, differentiable in the parameters.</param>
/// <param name="Metrics">Scalar tensors by name; read as numbers after the step and never differentiated. The name <c>loss</c> is reserved.</param>
public sealed record ModelOutput(torch.Tensor Loss, IReadOnlyDictionary<string, torch.Tensor> Metrics)
{
    /// <summary>
    /// The model's state after this batch (its tensors computed without gradient; the step detaches them anyway), or null
    /// when the model leaves the state it read from <see cref="Core.StepContext.State"/> as it was. Ignored in evaluation.
    /// </summary>
    public Core.ModelState? NextState { get; init; }

    /// <summary>A loss without metrics.</summary>
    public static ModelOutput Of(torch.Tensor loss) => new(loss, new Dictionary<string, torch.Tensor>());
}
