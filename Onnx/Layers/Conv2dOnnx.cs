using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="Conv2d.Apply"/> on channels-last images.</summary>
public static class Conv2dOnnx
{
    /// <summary>
    /// Adds the convolution at <paramref name="path"/> reading <paramref name="input"/> [batch, height, width, in];
    /// returns [batch, newHeight, newWidth, out]. ONNX's <c>Conv</c> takes the weight in PyTorch's [out, in, kh, kw]
    /// layout, which is ours, so it is stored as it is (<c>&lt;path&gt;/weight</c>, <c>&lt;path&gt;/bias</c>).
    /// </summary>
    public static string Export(OnnxGraph graph, string path, Conv2dParams parameters, string input)
    {
        var inputs = new List<string> { ChannelsLast.ToChannelsFirst(graph, path, input), graph.Initializer($"{path}/weight", parameters.Weight) };
        if (parameters.Bias is { } bias) inputs.Add(graph.Initializer($"{path}/bias", bias));
        var window = parameters.Window;
        long stride = window.Stride, padding = window.Padding, dilation = window.Dilation;
        var conv = graph.Node("Conv", $"{path}/Conv", inputs,
            OnnxAttribute.Of("strides", [stride, stride]), OnnxAttribute.Of("pads", [padding, padding, padding, padding]),
            OnnxAttribute.Of("dilations", [dilation, dilation]));
        return ChannelsLast.FromChannelsFirst(graph, path, conv);
    }
}
