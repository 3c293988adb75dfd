using TorchSharp;

namespace Functional.Core;

/// <summary>Integer ranges as tensors, made without a temporary <see cref="Scalar"/> (see <see cref="Scalars"/>).</summary>
public static class Ranges
{
    /// <summary>
    /// 0, 1, …, <paramref name="count"/> - 1 as an Int64 tensor on <paramref name="device"/> (empty for 0): what
    /// <c>torch.arange(count)</c> gives, whose one-argument form makes its start and step Scalars and lets them die.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static torch.Tensor Of(long count, torch.Device device)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "A range needs a count of at least 0.");
        using var stop = count.ToScalar();
        return torch.arange(Scalars.Zero, stop, Scalars.One, torch.int64, device);
    }
}
