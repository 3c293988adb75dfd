using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="FeedForward.Apply"/>: inner Linear, the activation, outer Linear.</summary>
public static class FeedForwardOnnx
{
    /// <summary>Adds the block at <paramref name="path"/> (its Linears under <c>&lt;path&gt;/inner</c> and <c>&lt;path&gt;/outer</c>) reading [..., inputs]; returns [..., outputs].</summary>
    public static string Export(OnnxGraph graph, string path, FeedForwardParams parameters, string input) =>
        LinearOnnx.Export(graph, $"{path}/outer", parameters.Outer,
            ActivationsOnnx.Export(graph, $"{path}/activation", parameters.Activation,
                LinearOnnx.Export(graph, $"{path}/inner", parameters.Inner, input)));
}
