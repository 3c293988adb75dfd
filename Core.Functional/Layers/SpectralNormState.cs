using TorchSharp;

namespace Functional.Core;

/// <summary>
/// The power-iteration vectors of one spectrally normalised weight (<see cref="SpectralNorm"/>): model state, never
/// trained (PyTorch keeps them as the buffers <c>weight_u</c> and <c>weight_v</c>). Paths <c>u</c> and <c>v</c>.
/// </summary>
/// <param name="U">The estimate of the left singular vector, a unit vector [outputs] (the weight's first dimension).</param>
/// <param name="V">The estimate of the right singular vector, a unit vector [inputs] (the product of the other dimensions).</param>
public sealed record SpectralNormState(torch.Tensor U, torch.Tensor V);

/// <summary>A spectrally normalised weight and the vectors after it (<see cref="SpectralNorm.Apply"/>).</summary>
/// <param name="Weight">The weight divided by its estimated largest singular value, of the weight's shape; differentiable in the weight.</param>
/// <param name="State">The vectors to use next time (fresh tensors, computed without gradient).</param>
public sealed record SpectralNormResult(torch.Tensor Weight, SpectralNormState State);
