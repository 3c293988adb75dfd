using Functional.Core;
using Functional.Models.Digits;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>The ONNX export of <see cref="DigitClassifier"/> (inference: dropout is the identity), written from the layers' own exporters.</summary>
public static class DigitClassifierOnnx
{
    /// <summary>
    /// The graph of <see cref="DigitClassifier.Logits"/> with <c>training: false</c>: input <c>pixels</c> float32
    /// [batch, 784] (any batch), output <c>logits</c> float32 [batch, 10]. Save it with <see cref="OnnxGraph.Save"/>.
    /// </summary>
    public static OnnxGraph Export(DigitClassifier model)
    {
        var graph = new OnnxGraph("digit-classifier");
        var pixels = graph.Input("pixels", torch.ScalarType.Float32, -1, DigitClassifier.Pixels);
        var features = ActivationsOnnx.Export(graph, "relu", Activation.Relu, FeedForwardOnnx.Export(graph, "features", model.Features, pixels));
        var logits = LinearOnnx.Export(graph, "output", model.Output, DropoutOnnx.ExportInference(graph, "dropout", features));
        graph.Output(graph.Node("Identity", "logits", [logits]), torch.ScalarType.Float32, -1, 10);
        return graph;
    }
}
