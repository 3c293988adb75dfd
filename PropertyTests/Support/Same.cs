using TorchSharp;

namespace Functional.PropertyTests;

/// <summary>Exact comparisons of tensors for tests.</summary>
public static class Same
{
    /// <summary>Same dtype, same shape and bitwise the same values.</summary>
    public static bool Bitwise(torch.Tensor a, torch.Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && torch.equal(a, b).all().item<bool>();
}
