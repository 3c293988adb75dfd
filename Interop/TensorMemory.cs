using System.Runtime.InteropServices;
using TorchSharp;

namespace Functional.Interop;

/// <summary>Raw access to the memory of a fresh, contiguous CPU tensor, for filling it from a file.</summary>
internal static unsafe class TensorMemory
{
    // The native entry point TorchSharp's own TensorAccessor uses: the tensor's data pointer (storage offset included).
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The first byte of <paramref name="tensor"/> (CPU and contiguous, which the callers' fresh tensors are).</summary>
    public static byte* Pointer(torch.Tensor tensor) =>
        tensor.is_cpu() && tensor.is_contiguous() ? (byte*)THSTensor_data(tensor.Handle) : throw new InvalidOperationException("Only a contiguous CPU tensor is filled in place.");
}
