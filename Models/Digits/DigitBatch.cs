using TorchSharp;

namespace Functional.Models.Digits;

/// <summary>A batch of digits: the consumer owns it and releases it.</summary>
/// <param name="Pixels">float32 [batch, 784] in [0, 1].</param>
/// <param name="Digits">int64 [batch], 0 to 9.</param>
public sealed record DigitBatch(torch.Tensor Pixels, torch.Tensor Digits) : IDisposable
{
    /// <summary>The examples at <paramref name="indices"/> of <paramref name="pixels"/> and <paramref name="digits"/>, as fresh tensors.</summary>
    public static DigitBatch Gather(torch.Tensor pixels, torch.Tensor digits, int[] indices)
    {
        using var index = torch.tensor(indices.Select(i => (long)i).ToArray(), device: pixels.device);
        return new DigitBatch(pixels.index_select(0, index), digits.index_select(0, index));
    }

    /// <summary>Fresh copies of both tensors on <paramref name="device"/> (this batch is left as it is).</summary>
    public DigitBatch To(torch.Device device) => new(Pixels.to(device), Digits.to(device));

    /// <summary>Releases both tensors.</summary>
    public void Dispose()
    {
        Pixels.Dispose();
        Digits.Dispose();
    }
}
