using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Step counters of optimizer states: 0-d int64 tensors on the CPU (whatever the parameters' device), so a state is a
/// Core tree of tensors only, and reading a count (<c>.item&lt;long&gt;()</c>, once per step) never waits for a device.
/// </summary>
internal static class Counter
{
    /// <summary>A fresh counter holding <paramref name="value"/>.</summary>
    public static torch.Tensor Of(long value) => torch.tensor(value, torch.int64, torch.CPU);

    /// <summary>The count a counter holds.</summary>
    /// <exception cref="ArgumentException">The tensor is not a 0-d int64 tensor.</exception>
    public static long Read(torch.Tensor counter, string owner) =>
        counter.dtype == torch.int64 && counter.Dimensions == 0
            ? counter.item<long>()
            : throw new ArgumentException($"The counter of {owner} must be a 0-d int64 tensor, got {counter.dtype}{Functional.Core.Shapes.Format(counter.shape)}.");
}
