using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graphs of <see cref="Pooling2d.Max"/> and <see cref="Pooling2d.Average"/> on channels-last images.</summary>
public static class Pooling2dOnnx
{
    /// <summary>Adds the max-pool at <paramref name="path"/> reading [batch, height, width, channels]; returns the pooled, channels-last.</summary>
    public static string Max(OnnxGraph graph, string path, Pool2dWindow window, string input)
    {
        long kernel = window.Kernel, stride = window.Window.Stride, padding = window.Window.Padding;
        var pooled = graph.Node("MaxPool", $"{path}/MaxPool", [ChannelsLast.ToChannelsFirst(graph, path, input)],
            OnnxAttribute.Of("kernel_shape", [kernel, kernel]), OnnxAttribute.Of("strides", [stride, stride]),
            OnnxAttribute.Of("pads", [padding, padding, padding, padding]));
        return ChannelsLast.FromChannelsFirst(graph, path, pooled);
    }

    /// <summary>
    /// Adds the average pool at <paramref name="path"/> reading [batch, height, width, channels]; returns the pooled,
    /// channels-last. Padding counts in the divisor (<c>count_include_pad = 1</c>), as libtorch's default does.
    /// </summary>
    public static string Average(OnnxGraph graph, string path, Pool2dWindow window, string input)
    {
        long kernel = window.Kernel, stride = window.Window.Stride, padding = window.Window.Padding;
        var pooled = graph.Node("AveragePool", $"{path}/AveragePool", [ChannelsLast.ToChannelsFirst(graph, path, input)],
            OnnxAttribute.Of("kernel_shape", [kernel, kernel]), OnnxAttribute.Of("strides", [stride, stride]),
            OnnxAttribute.Of("pads", [padding, padding, padding, padding]), OnnxAttribute.Of("count_include_pad", 1L));
        return ChannelsLast.FromChannelsFirst(graph, path, pooled);
    }
}
