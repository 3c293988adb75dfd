using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime (one thread) on libtorch tensors (float32, int64 or Bool) and returns every output (the same types) by name.</summary>
internal static class OrtRunner
{
    public static Dictionary<string, torch.Tensor> Run(byte[] model, params (string Name, torch.Tensor Value)[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(input => Value(input.Name, input.Value)).ToList();
        using var results = session.Run(values);
        return results.ToDictionary(r => r.Name, r => r.Value switch
        {
            Tensor<long> output => torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray()),
            Tensor<bool> output => torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray()),
            _ => Floats(r.AsTensor<float>()),
        });
    }

    static torch.Tensor Floats(Tensor<float> output) => torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray());

    static NamedOnnxValue Value(string name, torch.Tensor tensor)
    {
        using var contiguous = tensor.contiguous();
        var dims = tensor.shape.Select(d => (int)d).ToArray();
        return tensor.dtype switch
        {
            torch.ScalarType.Float32 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(Elements<float>(contiguous), dims)),
            torch.ScalarType.Int64 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(Elements<long>(contiguous), dims)),
            torch.ScalarType.Bool => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(Elements<bool>(contiguous), dims)),
            _ => throw new ArgumentException($"{name}: {tensor.dtype} is not a test input type."),
        };
    }

    // TorchSharp's accessor cannot copy out a tensor without elements (a cache of 0 slots).
    static T[] Elements<T>(torch.Tensor tensor) where T : unmanaged => tensor.numel() == 0 ? [] : tensor.data<T>().ToArray();

    /// <summary>Asserts the same shape and a largest difference of at most 1e-5.</summary>
    public static void Agrees(torch.Tensor expected, torch.Tensor actual, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: ours [{string.Join(", ", expected.shape)}], ORT [{string.Join(", ", actual.shape)}]");
        if (expected.numel() == 0) return;
        var difference = expected.sub(actual).abs().max().item<float>();
        Assert.True(difference <= 1e-5, $"{what}: max |ours - ORT| = {difference:g}");
    }
}
