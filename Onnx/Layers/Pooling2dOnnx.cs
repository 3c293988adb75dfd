using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="Pooling2d.Max"/> on channels-last images.</summary>
public static class Pooling2dOnnx
{
    /// <summary>Adds the max-pool at <paramref name="path"/> reading [batch, height, width, channels]; returns the pooled, channels-last.</summary>
    public static string Max(OnnxGraph graph, string path, Pool2dWindow window, string input)
    {
        long kernel = window.Kernel, stride = window.Stride, padding = window.Padding;
        var pooled = graph.Node("MaxPool", $"{path}/MaxPool", [ChannelsLast.ToChannelsFirst(graph, path, input)],
            OnnxAttribute.Of("kernel_shape", [kernel, kernel]), OnnxAttribute.Of("strides", [stride, stride]),
            OnnxAttribute.Of("pads", [padding, padding, padding, padding]));
        return ChannelsLast.FromChannelsFirst(graph, path, pooled);
    }
}
