using Functional.Core;
using TorchSharp;

namespace Functional.Core;

/// <summary>What a model's loss function receives besides its parameters and the batch.</summary>
/// <param name="Training">Whether this is a training step (dropout active) or an evaluation.</param>
/// <param name="Generator">The only source of randomness the model may use (dropout masks, noise); its state is part of the train state.</param>
/// <param name="Capture">Where the model offers named intermediate values; <see cref="Capture.None"/> when nobody asks.</param>
/// <remarks>
/// A stateless model takes this base type; a model with non-trained state (batch-norm statistics) takes
/// <see cref="StepContext{TModelState}"/>, which adds the state as a typed value.
/// </remarks>
public record StepContext(bool Training, torch.Generator Generator, Capture Capture);

/// <summary>
/// The context of a model with non-trained state (batch-norm statistics, spectral vectors): the model reads
/// <see cref="State"/> and returns the next one with its loss; in evaluation it reads it only.
/// </summary>
/// <typeparam name="TModelState">The state's record type (a tree of tensors; <see cref="NoState"/> for a stateless model).</typeparam>
/// <param name="Training">Whether this is a training step (dropout active, statistics updated) or an evaluation.</param>
/// <param name="Generator">The only source of randomness the model may use.</param>
/// <param name="Capture">Where the model offers named intermediate values.</param>
/// <param name="State">The model's non-trained state as of this batch.</param>
public sealed record StepContext<TModelState>(bool Training, torch.Generator Generator, Capture Capture, TModelState State)
    : StepContext(Training, Generator, Capture);
