using Functional.Core;
using TorchSharp;

namespace Functional.Core;

/// <summary>What a model's loss function receives besides its parameters and the batch.</summary>
/// <param name="Training">Whether this is a training step (dropout active) or an evaluation.</param>
/// <param name="Generator">The only source of randomness the model may use (dropout masks, noise); its state is part of the train state.</param>
/// <param name="Capture">Where the model offers named intermediate values; <see cref="Capture.None"/> when nobody asks.</param>
public sealed record StepContext(bool Training, torch.Generator Generator, Capture Capture)
{
    /// <summary>
    /// The model's non-trained state as of this batch (batch-norm statistics, spectral vectors); <see cref="ModelState.Empty"/>
    /// for a stateless model. The model reads it and returns the next one with its loss; in evaluation it reads it only.
    /// </summary>
    public ModelState State { get; init; } = ModelState.Empty;
}
