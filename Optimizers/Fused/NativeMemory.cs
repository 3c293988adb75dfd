using System.Runtime.InteropServices;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>Raw access to the memory of CPU float32 tensors, for the fused kernels only.</summary>
internal static unsafe class NativeMemory
{
    // The same native entry point TorchSharp's own TensorAccessor uses: the tensor's data pointer (storage offset included).
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>Whether the kernels can work on <paramref name="tensor"/> directly: float32, in CPU memory, contiguous.</summary>
    public static bool IsPlainFloat32(torch.Tensor tensor) =>
        tensor.dtype == torch.float32 && tensor.is_cpu() && tensor.is_contiguous();

    /// <summary>The first element of a plain float32 tensor.</summary>
    public static float* Pointer(torch.Tensor tensor) => (float*)THSTensor_data(tensor.Handle);
}
