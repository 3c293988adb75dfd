using TorchSharp;

namespace Functional.Core;

/// <summary>One tensor of a parameter tree and its path, e.g. <c>encoder/layers/0/weight</c>.</summary>
/// <param name="Path">Field names (first letter lower-cased) and list indices joined by '/'; empty for a bare tensor.</param>
/// <param name="Value">The tensor itself, not a copy.</param>
public sealed record TreeLeaf(string Path, torch.Tensor Value);
