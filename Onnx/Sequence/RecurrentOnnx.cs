using Functional.Core;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>What an exported LSTM or GRU returns: the names of its output and final states.</summary>
/// <param name="Output">[batch, length, directions·hidden] of the last layer, zeros at padded positions (as <see cref="LstmResult.Output"/>).</param>
/// <param name="Hidden">[layers·directions, batch, hidden] in PyTorch's order (layer 0 forward, layer 0 backward, ...).</param>
/// <param name="Cell">The LSTM's cell states shaped as <paramref name="Hidden"/>; null for a GRU.</param>
public sealed record OnnxRecurrentOutputs(string Output, string Hidden, string? Cell);

/// <summary>
/// The ONNX graphs of <see cref="Lstm.Apply"/> and <see cref="Gru.Apply"/> with ONNX's own <c>LSTM</c> and <c>GRU</c>
/// operators, one node per layer (bidirectional where the record is), the mask given to them as
/// <c>sequence_lens</c> (each row's count of real tokens).
/// </summary>
/// <remarks>
/// Our records are PyTorch's layout (gates i, f, g, o for an LSTM; r, z, n for a GRU; separate input and hidden
/// biases). ONNX orders an LSTM's gates i, o, f, c and a GRU's z, r, h, and takes both biases as one [directions,
/// 2·G·hidden] input; the exporter reorders the gate blocks of every weight and bias. The GRU is exported with
/// <c>linear_before_reset = 1</c>, PyTorch's formula (the reset gate multiplies the hidden projection plus its bias).
/// ONNX Runtime's recurrent operators are sequence-first, so the graph transposes in and out. Only prefix masks can be
/// exported (ours also accept masks with holes): the graph reads lengths.
/// </remarks>
public static class RecurrentOnnx
{
    /// <summary>Adds the LSTM at <paramref name="path"/> reading <paramref name="values"/> [batch, length, features] and the Bool <paramref name="mask"/> [batch, length].</summary>
    public static OnnxRecurrentOutputs Lstm(OnnxGraph graph, string path, LstmParams parameters, string values, string mask) =>
        Export(graph, path, "LSTM", parameters.Layers, [0, 3, 1, 2], values, mask);

    /// <summary>Adds the GRU at <paramref name="path"/> reading <paramref name="values"/> [batch, length, features] and the Bool <paramref name="mask"/> [batch, length].</summary>
    public static OnnxRecurrentOutputs Gru(OnnxGraph graph, string path, GruParams parameters, string values, string mask) =>
        Export(graph, path, "GRU", parameters.Layers, [1, 0, 2], values, mask);

    static OnnxRecurrentOutputs Export(OnnxGraph graph, string path, string op, RecurrentLayerParams[] layers, int[] gateOrder, string values, string mask)
    {
        if (layers.Length == 0) throw new ArgumentException($"{path}: a recurrent record with no layers has no ONNX export.", nameof(layers));
        var lstm = op == "LSTM";
        var bidirectional = layers[0].Backward is not null;
        var hidden = layers[0].Forward.HiddenWeight.shape[1];
        var lengths = MasksOnnx.Lengths(graph, path, mask);
        var x = graph.Node("Transpose", $"{path}/SequenceFirst", [values], OnnxAttribute.Of("perm", [1L, 0, 2]));
        var hiddens = new List<string>();
        var cells = new List<string>();
        string y = x;
        for (var k = 0; k < layers.Length; k++)
        {
            var layerPath = $"{path}/layers/{k}";
            var cellsOfLayer = layers[k].Backward is { } backward ? new[] { layers[k].Forward, backward } : [layers[k].Forward];
            using var scope = torch.NewDisposeScope();
            var w = torch.stack(cellsOfLayer.Select(c => Reorder(c.InputWeight, gateOrder)).ToArray(), 0);
            var r = torch.stack(cellsOfLayer.Select(c => Reorder(c.HiddenWeight, gateOrder)).ToArray(), 0);
            var b = torch.stack(cellsOfLayer.Select(c => torch.cat([Reorder(c.InputBias, gateOrder), Reorder(c.HiddenBias, gateOrder)], 0)).ToArray(), 0);
            var attributes = new List<OnnxAttribute>
            {
                OnnxAttribute.Of("hidden_size", hidden),
                OnnxAttribute.Of("direction", bidirectional ? "bidirectional" : "forward"),
            };
            if (!lstm) attributes.Add(OnnxAttribute.Of("linear_before_reset", 1L));
            var outputs = graph.Node(op, $"{layerPath}/{op}",
                [x, graph.Initializer($"{layerPath}/W", w), graph.Initializer($"{layerPath}/R", r), graph.Initializer($"{layerPath}/B", b), lengths],
                lstm ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"], [.. attributes]);
            y = outputs[0];
            hiddens.Add(outputs[1]);
            if (lstm) cells.Add(outputs[2]);
            // [length, directions, batch, hidden] → [length, batch, directions·hidden] (forward half first) for the next layer.
            var steps = graph.Node("Transpose", $"{layerPath}/StepsFirst", [y], OnnxAttribute.Of("perm", [0L, 2, 1, 3]));
            x = graph.Node("Reshape", $"{layerPath}/Join", [steps, graph.Int64s($"{layerPath}/Join/shape", 0, 0, -1)]);
        }
        var batchFirst = graph.Node("Transpose", $"{path}/BatchFirst", [x], OnnxAttribute.Of("perm", [1L, 0, 2]));
        var output = MasksOnnx.ZeroPadding(graph, $"{path}/Output", batchFirst, mask, 3);
        var hiddenState = hiddens.Count == 1 ? hiddens[0] : graph.Node("Concat", $"{path}/Hidden", hiddens, OnnxAttribute.Of("axis", 0L));
        var cellState = !lstm ? null : cells.Count == 1 ? cells[0] : graph.Node("Concat", $"{path}/Cell", cells, OnnxAttribute.Of("axis", 0L));
        return new OnnxRecurrentOutputs(output, hiddenState, cellState);
    }

    /// <summary>The gate blocks of <paramref name="weight"/> [G·hidden, ...] in the order <paramref name="order"/> (indices into ours).</summary>
    static torch.Tensor Reorder(torch.Tensor weight, int[] order)
    {
        var blocks = weight.detach().chunk(order.Length, 0);
        return torch.cat(order.Select(i => blocks[i]).ToArray(), 0);
    }
}
