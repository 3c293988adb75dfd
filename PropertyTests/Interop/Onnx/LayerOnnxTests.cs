using FsCheck.Xunit;
using Functional.Core;
using Functional.Onnx;
using TorchSharp;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>Embedding, LayerNorm, dropout at inference and average pooling exported to ONNX agree with our forward in ONNX Runtime to 1e-5 on random shapes.</summary>
public sealed class LayerOnnxTests
{
    [Property(MaxTest = 40)]
    public void Embedding_agrees_on_ids_of_random_shape(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int vocabulary = random.Next(1, 20), dimension = random.Next(1, 9), batch = random.Next(1, 4), length = random.Next(1, 6);
        var generator = Rng(seed);
        var embedding = Embedding.Init(generator, vocabulary, dimension, Cpu);
        var ids = torch.randint(0, vocabulary, [batch, length], generator: generator);
        var graph = new OnnxGraph("embedding");
        var output = EmbeddingOnnx.Export(graph, "embedding", embedding, graph.Input("ids", torch.ScalarType.Int64, -1, -1));
        graph.Output(output, torch.ScalarType.Float32, -1, -1, dimension);
        OrtRunner.Agrees(Embedding.Apply(embedding, ids), OrtRunner.Run(graph.ToModel(), ("ids", ids))[output], "Embedding");
    }

    [Property(MaxTest = 40)]
    public void LayerNorm_agrees_on_random_weights_and_ranks(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int features = random.Next(1, 12);
        var generator = Rng(seed);
        var norm = new LayerNormParams(torch.randn([features], generator: generator), torch.randn([features], generator: generator), random.Next(2) == 0 ? 1e-5 : 1e-3);
        long[] shape = [.. Enumerable.Range(0, random.Next(0, 3)).Select(_ => (long)random.Next(1, 5)), features];
        using var three = 3.ToScalar();
        var x = torch.randn(shape, generator: generator).mul(three);
        var graph = new OnnxGraph("layer-norm");
        var output = LayerNormOnnx.Export(graph, "norm", norm, graph.Input("x", torch.ScalarType.Float32, shape));
        graph.Output(output, torch.ScalarType.Float32, shape);
        OrtRunner.Agrees(LayerNorm.Apply(norm, x), OrtRunner.Run(graph.ToModel(), ("x", x))[output], "LayerNorm");
    }

    [Property(MaxTest = 20)]
    public void Dropout_at_inference_is_the_identity_as_ours(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var generator = Rng(seed);
        var x = torch.randn([random.Next(1, 4), random.Next(1, 6)], generator: generator);
        var graph = new OnnxGraph("dropout");
        var output = DropoutOnnx.ExportInference(graph, "dropout", graph.Input("x", torch.ScalarType.Float32, -1, -1));
        graph.Output(output, torch.ScalarType.Float32, -1, -1);
        OrtRunner.Agrees(Dropout.Apply(x, random.NextDouble() * 0.9, training: false, generator), OrtRunner.Run(graph.ToModel(), ("x", x))[output], "Dropout");
    }

    [Property(MaxTest = 40)]
    public void Average_and_max_pooling_agree_on_random_windows_and_images(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var kernel = random.Next(1, 4);
        var window = new Pool2dWindow(kernel, random.Next(1, 3), random.Next(0, kernel / 2 + 1));
        var minimum = Math.Max(1, kernel - 2 * window.Padding);
        var x = torch.randn([random.Next(1, 3), random.Next(minimum, minimum + 5), random.Next(minimum, minimum + 5), random.Next(1, 4)], generator: Rng(seed));
        var graph = new OnnxGraph("pooling");
        var input = graph.Input("x", torch.ScalarType.Float32, -1, -1, -1, x.shape[3]);
        var average = Pooling2dOnnx.Average(graph, "average", window, input);
        var max = Pooling2dOnnx.Max(graph, "max", window, input);
        graph.Output(average, torch.ScalarType.Float32, -1, -1, -1, x.shape[3]);
        graph.Output(max, torch.ScalarType.Float32, -1, -1, -1, x.shape[3]);
        var results = OrtRunner.Run(graph.ToModel(), ("x", x));
        OrtRunner.Agrees(Pooling2d.Average(window, x), results[average], $"AvgPool {window}");
        OrtRunner.Agrees(Pooling2d.Max(window, x), results[max], $"MaxPool {window}");
    }
}
