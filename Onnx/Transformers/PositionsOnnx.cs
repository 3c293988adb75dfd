namespace Functional.Onnx;

/// <summary>
/// Positions made in the graph from a sequence, for the position layers (<see cref="RotaryOnnx"/>,
/// <see cref="SinusoidalPositionsOnnx"/>, <see cref="LearnedPositionsOnnx"/>) when the caller does not give them as an
/// input: every row numbers its tokens <c>offset, offset + 1, …</c> (a full pass from offset 0; a cached step of new
/// tokens after <c>offset</c> cached ones).
/// </summary>
public static class PositionsOnnx
{
    /// <summary>
    /// Int64 [batch, length] positions <c>offset + i</c> for the Bool <paramref name="mask"/> [batch, length] (only its
    /// shape is read), where <paramref name="offset"/> names an int64 scalar (a graph input for a cached step), or is
    /// null for offset 0.
    /// </summary>
    public static string FromSequence(OnnxGraph graph, string path, string mask, string? offset = null)
    {
        using var zero = TorchSharp.torch.tensor(0L);
        using var one = TorchSharp.torch.tensor(1L);
        var start = offset ?? graph.Initializer($"{path}/offset", zero);
        var length = graph.Node("Squeeze", $"{path}/Length", [
            graph.Node("Shape", $"{path}/LengthShape", [mask], OnnxAttribute.Of("start", 1L), OnnxAttribute.Of("end", 2L)),
            graph.Int64s($"{path}/Length/axes", 0)]);
        var limit = graph.Node("Add", $"{path}/Limit", [start, length]);
        var row = graph.Node("Range", $"{path}/Range", [start, limit, graph.Initializer($"{path}/delta", one)]);
        var rows = graph.Node("Unsqueeze", $"{path}/Row", [row, graph.Int64s($"{path}/Row/axes", 0)]);
        return graph.Node("Expand", $"{path}/Positions", [rows, graph.Node("Shape", $"{path}/Shape", [mask])]);
    }
}
