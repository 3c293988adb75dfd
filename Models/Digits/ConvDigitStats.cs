using Functional.Core;

namespace Functional.Models.Digits;

/// <summary>
/// The model state of a <see cref="ConvDigitClassifier"/>: the running statistics of its two batch normalisations
/// (checkpointed under <c>model-state/first/...</c> and <c>model-state/second/...</c>).
/// </summary>
/// <param name="First">The statistics of the first block's batch norm.</param>
/// <param name="Second">The statistics of the second block's batch norm.</param>
public sealed record ConvDigitStats(BatchNormStats First, BatchNormStats Second);
