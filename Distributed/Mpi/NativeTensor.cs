using System.Runtime.InteropServices;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>The address of a tensor's first element, for handing CPU tensors to MPI without a copy.</summary>
internal static class NativeTensor
{
    // The entry point TorchSharp's own TensorAccessor uses: the data pointer, storage offset included.
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The first element of <paramref name="tensor"/> (which must be a contiguous CPU tensor and stay alive while the address is used).</summary>
    public static IntPtr Data(torch.Tensor tensor) => THSTensor_data(tensor.Handle);
}
