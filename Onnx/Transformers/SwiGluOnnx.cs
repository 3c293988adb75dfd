using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="SwiGlu.Apply"/>: <c>down(silu(gate(x)) ⊙ up(x))</c>, SiLU as <c>x · sigmoid(x)</c>.</summary>
public static class SwiGluOnnx
{
    /// <summary>Adds the layer at <paramref name="path"/> (its Linears under <c>&lt;path&gt;/gate</c>, <c>up</c> and <c>down</c>) reading [..., inputs]; returns [..., outputs].</summary>
    public static string Export(OnnxGraph graph, string path, SwiGluParams parameters, string input) =>
        LinearOnnx.Export(graph, $"{path}/down", parameters.Down,
            Gated(graph, path, LinearOnnx.Export(graph, $"{path}/gate", parameters.Gate, input), LinearOnnx.Export(graph, $"{path}/up", parameters.Up, input)));

    /// <summary><c>silu(gate) ⊙ up</c>, the hidden activation shared with <see cref="TransformerBlockOnnx"/>'s SwiGLU option.</summary>
    internal static string Gated(OnnxGraph graph, string path, string gate, string up) =>
        graph.Node("Mul", $"{path}/Gated", [ActivationsOnnx.Export(graph, $"{path}/silu", Activation.Silu, gate), up]);
}
