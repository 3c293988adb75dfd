using Functional.Core;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>The ONNX graphs of <see cref="Activations"/>, each with the same formula as the libtorch function it mirrors.</summary>
public static class ActivationsOnnx
{
    /// <summary>
    /// Adds <paramref name="activation"/> (as <see cref="Activations.Apply"/>) of <paramref name="input"/> under
    /// <paramref name="path"/>; returns its output. Gelu is the exact (erf) form libtorch computes by default:
    /// <c>x · (1 + erf(x / √2)) / 2</c> (opset 17 has no Gelu operator); Silu is <c>x · sigmoid(x)</c>; Softplus is ONNX's
    /// <c>log(1 + eˣ)</c> (ours switches to x above 20, where the two agree in float32); LeakyRelu has slope 0.01.
    /// </summary>
    public static string Export(OnnxGraph graph, string path, Activation activation, string input) => activation switch
    {
        Activation.Identity => graph.Node("Identity", $"{path}/Identity", [input]),
        Activation.Relu => graph.Node("Relu", $"{path}/Relu", [input]),
        Activation.Tanh => graph.Node("Tanh", $"{path}/Tanh", [input]),
        Activation.Sigmoid => graph.Node("Sigmoid", $"{path}/Sigmoid", [input]),
        Activation.Gelu => Gelu(graph, path, input),
        Activation.Silu => graph.Node("Mul", $"{path}/Silu", [input, graph.Node("Sigmoid", $"{path}/Sigmoid", [input])]),
        Activation.Softplus => graph.Node("Softplus", $"{path}/Softplus", [input]),
        Activation.Elu => graph.Node("Elu", $"{path}/Elu", [input], OnnxAttribute.Of("alpha", 1f)),
        Activation.LeakyRelu => graph.Node("LeakyRelu", $"{path}/LeakyRelu", [input], OnnxAttribute.Of("alpha", 0.01f)),
        _ => throw new NotSupportedException($"{path}: the activation {activation} has no ONNX export yet."),
    };

    static string Gelu(OnnxGraph graph, string path, string input)
    {
        using var rootTwo = torch.tensor((float)Math.Sqrt(2));
        using var one = torch.tensor(1f);
        using var half = torch.tensor(0.5f);
        var scaled = graph.Node("Div", $"{path}/Gelu/Div", [input, graph.Initializer($"{path}/Gelu/sqrt2", rootTwo)]);
        var erf = graph.Node("Erf", $"{path}/Gelu/Erf", [scaled]);
        var plus = graph.Node("Add", $"{path}/Gelu/Add", [erf, graph.Initializer($"{path}/Gelu/one", one)]);
        var product = graph.Node("Mul", $"{path}/Gelu/Mul", [input, plus]);
        return graph.Node("Mul", $"{path}/Gelu/Half", [product, graph.Initializer($"{path}/Gelu/half", half)]);
    }
}
