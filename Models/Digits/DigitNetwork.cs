using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Digits;

/// <summary>A digit classifier as <see cref="MnistTraining"/> trains it: how to make it fresh, its fresh model state, its loss.</summary>
/// <param name="Init">Fresh parameters drawn from the generator, on the device.</param>
/// <param name="InitState">The fresh model state of given parameters (<see cref="NoState.Value"/> for a stateless model).</param>
/// <param name="Model">The model with its loss inside it.</param>
internal sealed record DigitNetwork<TParams, TModelState>(Func<torch.Generator, torch.Device, TParams> Init, Func<TParams, TModelState> InitState, ModelLoss<TParams, TModelState, DigitBatch> Model);
