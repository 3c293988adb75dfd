namespace Functional.Onnx;

/// <summary>
/// Our images are channels-last [batch, height, width, channels]; ONNX's image operators (Conv, MaxPool) are
/// channels-first. An exporter wraps such an operator in these two transposes, so that its graph takes and returns
/// exactly what its <c>Apply</c> does (ONNX Runtime removes back-to-back transposes when it optimises the graph).
/// </summary>
internal static class ChannelsLast
{
    /// <summary>[b, h, w, c] → [b, c, h, w].</summary>
    public static string ToChannelsFirst(OnnxGraph graph, string path, string input) =>
        graph.Node("Transpose", $"{path}/ToNCHW", [input], OnnxAttribute.Of("perm", [0L, 3, 1, 2]));

    /// <summary>[b, c, h, w] → [b, h, w, c].</summary>
    public static string FromChannelsFirst(OnnxGraph graph, string path, string input) =>
        graph.Node("Transpose", $"{path}/ToNHWC", [input], OnnxAttribute.Of("perm", [0L, 2, 3, 1]));
}
