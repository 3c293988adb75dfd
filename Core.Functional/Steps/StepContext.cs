using Functional.Core;
using TorchSharp;

namespace Functional.Core;

/// <summary>What a model's loss function receives besides its parameters and the batch.</summary>
/// <param name="Training">Whether this is a training step (dropout active) or an evaluation.</param>
/// <param name="Generator">The only source of randomness the model may use (dropout masks, noise); its state is part of the train state.</param>
/// <param name="Capture">Where the model offers named intermediate values; <see cref="Capture.None"/> when nobody asks.</param>
public sealed record StepContext(bool Training, torch.Generator Generator, Capture Capture);
