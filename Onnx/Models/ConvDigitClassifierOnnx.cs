using Functional.Core;
using Functional.Models.Digits;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>The ONNX export of <see cref="ConvDigitClassifier"/> in evaluation (batch norm from the running statistics, dropout the identity), written from the layers' own exporters.</summary>
public static class ConvDigitClassifierOnnx
{
    /// <summary>
    /// The graph of <see cref="ConvDigitClassifier.Logits"/> with <c>training: false</c>: input <c>pixels</c> float32
    /// [batch, 784] (any batch), output <c>logits</c> float32 [batch, 10]. The flatten before the output layer is ours,
    /// channels-last (H·W·C), so the output weights are stored as they are.
    /// </summary>
    public static OnnxGraph Export(ConvDigitClassifier model, ConvDigitStats stats)
    {
        var graph = new OnnxGraph("conv-digit-classifier");
        var pixels = graph.Input("pixels", torch.ScalarType.Float32, -1, ConvDigitClassifier.Side * ConvDigitClassifier.Side);
        var x = graph.Node("Reshape", "images", [pixels, graph.Int64s("images/shape", -1, ConvDigitClassifier.Side, ConvDigitClassifier.Side, 1)]);
        x = Block(graph, "first", model.FirstConv, model.FirstNorm, stats.First, x);
        x = Block(graph, "second", model.SecondConv, model.SecondNorm, stats.Second, x);
        var features = graph.Node("Reshape", "features", [x, graph.Int64s("features/shape", 0, -1)]);
        var logits = LinearOnnx.Export(graph, "output", model.Output, DropoutOnnx.ExportInference(graph, "dropout", features));
        graph.Output(graph.Node("Identity", "logits", [logits]), torch.ScalarType.Float32, -1, 10);
        return graph;
    }

    static string Block(OnnxGraph graph, string name, Conv2dParams conv, BatchNormParams norm, BatchNormStats stats, string x) =>
        Pooling2dOnnx.Max(graph, $"{name}Pool", ConvDigitClassifier.Pool,
            ActivationsOnnx.Export(graph, $"{name}Relu", Activation.Relu,
                BatchNormOnnx.ExportEvaluation(graph, $"{name}Norm", norm, stats, Conv2dOnnx.Export(graph, $"{name}Conv", conv, x))));
}
