using Functional.Core;

namespace Functional.Onnx;

/// <summary>
/// The graph forms of <see cref="AttentionMasks"/>: Bool [batch, query, key] masks (<c>true</c> = may attend) built in
/// the graph from sequence masks, an offset or the two segments' lengths, with the same values as ours.
/// </summary>
/// <remarks>
/// The graph does not repeat our argument checks (a negative length, rows longer than the sequence): ours refuse them
/// at export when a model is exported through a checked entry point (<see cref="TransformerStackOnnx.Graph"/>), and at
/// run time the graph computes what the formulas give.
/// </remarks>
public static class AttentionMasksOnnx
{
    /// <summary><see cref="AttentionMasks.Padding"/>: a real query (<paramref name="queryMask"/> [batch, queries]) may see every real key (<paramref name="keyMask"/> [batch, keys]).</summary>
    public static string Padding(OnnxGraph graph, string path, string queryMask, string keyMask) =>
        MasksOnnx.Allowed(graph, path, queryMask, keyMask, causal: false);

    /// <summary>
    /// <see cref="AttentionMasks.Causal"/>: [batch, queries, keys] where query i (at slot <paramref name="offset"/> + i)
    /// may see key j when j ≤ offset + i; the batch and the sizes are read from <paramref name="queryMask"/> [batch,
    /// queries] and <paramref name="keyMask"/> [batch, keys] (only their shapes). <paramref name="offset"/> names an int64
    /// scalar, or is null for 0.
    /// </summary>
    public static string Causal(OnnxGraph graph, string path, string queryMask, string keyMask, string? offset = null)
    {
        var rows = PositionsOnnx.FromSequence(graph, $"{path}/Rows", queryMask, offset);              // [batch, queries]
        var columns = PositionsOnnx.FromSequence(graph, $"{path}/Columns", keyMask);                  // [batch, keys]
        return graph.Node("LessOrEqual", $"{path}/Causal", [
            graph.Node("Unsqueeze", $"{path}/KeyAxis", [columns, graph.Int64s($"{path}/KeyAxis/axes", 1)]),
            graph.Node("Unsqueeze", $"{path}/QueryAxis", [rows, graph.Int64s($"{path}/QueryAxis/axes", 2)])]);
    }

    /// <summary>
    /// <see cref="AttentionMasks.PrefixLm"/>: the UniLM mask [batch, length, length] of rows laid out "source, target,
    /// padding" from int64 <paramref name="sourceLengths"/> and <paramref name="targetLengths"/> [batch]; the length is
    /// read from <paramref name="sequenceMask"/> [batch, length] (only its shape). A source token sees every source
    /// token, a target token the source and its own past; nothing sees padding and padding sees nothing.
    /// </summary>
    public static string PrefixLm(OnnxGraph graph, string path, string sourceLengths, string targetLengths, string sequenceMask)
    {
        var positions = PositionsOnnx.FromSequence(graph, $"{path}/Positions", sequenceMask);         // [batch, length]
        string Column(string name, string lengths) => graph.Node("Unsqueeze", $"{path}/{name}", [lengths, graph.Int64s($"{path}/{name}/axes", 1)]);
        var total = graph.Node("Add", $"{path}/Total", [sourceLengths, targetLengths]);
        var real = graph.Node("Less", $"{path}/Real", [positions, Column("TotalColumn", total)]);        // [batch, length]
        var sourceKey = graph.Node("Less", $"{path}/SourceKey", [positions, Column("SourceColumn", sourceLengths)]);
        var keys = graph.Node("Unsqueeze", $"{path}/KeyPositions", [positions, graph.Int64s($"{path}/KeyPositions/axes", 1)]);
        var queries = graph.Node("Unsqueeze", $"{path}/QueryPositions", [positions, graph.Int64s($"{path}/QueryPositions/axes", 2)]);
        var past = graph.Node("LessOrEqual", $"{path}/Past", [keys, queries]);                         // [batch, query, key]
        var sees = graph.Node("Or", $"{path}/Sees", [
            graph.Node("Unsqueeze", $"{path}/SourceKeys", [sourceKey, graph.Int64s($"{path}/SourceKeys/axes", 1)]), past]);
        var realKeys = graph.Node("Unsqueeze", $"{path}/RealKeys", [real, graph.Int64s($"{path}/RealKeys/axes", 1)]);
        var realQueries = graph.Node("Unsqueeze", $"{path}/RealQueries", [real, graph.Int64s($"{path}/RealQueries/axes", 2)]);
        return graph.Node("And", $"{path}/PrefixLm", [graph.Node("And", $"{path}/SeesReal", [sees, realKeys]), realQueries]);
    }

    /// <summary><see cref="AttentionMasks.Combine"/>: true where both masks are.</summary>
    public static string Combine(OnnxGraph graph, string path, string first, string second) =>
        graph.Node("And", $"{path}/Combine", [first, second]);
}
