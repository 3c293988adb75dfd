using TorchSharp;

namespace Functional.Core;

/// <summary>A scalar loss and its gradient with respect to every leaf of a parameter tree.</summary>
/// <param name="Value">The loss, a 0-dimensional tensor detached from any graph.</param>
/// <param name="Gradient">A tree of the parameters' structure; each leaf has its parameter's shape and dtype.</param>
public sealed record ValueAndGradient<TParams>(torch.Tensor Value, TParams Gradient);
