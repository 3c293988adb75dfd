using Functional.Core;
using Functional.Models.Digits;
using Functional.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// The conv digit classifier written as an ONNX graph from the layers' own exporters (Conv2d, batch norm in
/// evaluation, ReLU, max-pool, the channels-last flatten, Linear) runs in ONNX Runtime and gives our logits to 1e-5.
/// </summary>
public sealed class ConvDigitOnnxTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4, 1)]
    [InlineData(16, 2)]
    public void The_conv_classifier_in_onnx_runtime_gives_our_logits(int channels, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        using var half = 0.5.ToScalar();
        BatchNormParams Norm(int c) => new(torch.rand([c], generator: generator).add(half, Scalars.One), torch.randn([c], generator: generator), 0.1, 1e-5);
        BatchNormStats Stats(int c) => new(torch.randn([c], generator: generator), torch.rand([c], generator: generator).add(half, Scalars.One), torch.tensor(3L));
        var model = ConvDigitClassifier.Init(generator, channels, 0.25, Cpu) with { FirstNorm = Norm(channels), SecondNorm = Norm(2 * channels) };
        var stats = new ConvDigitStats(Stats(channels), Stats(2 * channels));
        var pixels = torch.rand([3, 784], generator: generator);
        var ours = ConvDigitClassifier.Logits(model, stats, pixels, training: false, Rng(0)).Logits;

        var graph = new OnnxGraph("conv-digits");
        var x = graph.Node("Reshape", "images", [graph.Input("pixels", torch.ScalarType.Float32, -1, 784), graph.Initializer("images/shape", torch.tensor(new long[] { -1, 28, 28, 1 }))]);
        var pool = Pool2dWindow.Of(2);
        x = Pooling2dOnnx.Max(graph, "firstPool", pool, ActivationsOnnx.Export(graph, "firstRelu", Activation.Relu,
            BatchNormOnnx.ExportEvaluation(graph, "firstNorm", model.FirstNorm, stats.First, Conv2dOnnx.Export(graph, "firstConv", model.FirstConv, x))));
        x = Pooling2dOnnx.Max(graph, "secondPool", pool, ActivationsOnnx.Export(graph, "secondRelu", Activation.Relu,
            BatchNormOnnx.ExportEvaluation(graph, "secondNorm", model.SecondNorm, stats.Second, Conv2dOnnx.Export(graph, "secondConv", model.SecondConv, x))));
        // Our flatten: channels-last [b, 7, 7, c] to [b, 7·7·c] (H·W·C), as ConvDigitClassifier.Logits does.
        x = graph.Node("Reshape", "features", [x, graph.Initializer("features/shape", torch.tensor(new long[] { 0, -1 }))]);
        var logits = LinearOnnx.Export(graph, "output", model.Output, x);
        graph.Output(logits, torch.ScalarType.Float32, -1, 10);

        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(graph.ToModel(), options);
        var input = new DenseTensor<float>(pixels.data<float>().ToArray(), [3, 784]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("pixels", input)]);
        var actual = torch.tensor(results.First().AsTensor<float>().ToArray(), [3, 10]);
        var difference = ours.sub(actual).abs().max().item<float>();
        output.WriteLine($"channels {channels}: max |ours - ORT| = {difference:g}");
        Assert.True(difference <= 1e-5, $"max |ours - ORT| = {difference:g}");
    }
}
