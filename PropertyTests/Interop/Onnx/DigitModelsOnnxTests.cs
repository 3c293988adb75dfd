using FsCheck.Xunit;
using Functional.Core;
using Functional.Models.Digits;
using Functional.Onnx;
using TorchSharp;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>Both digit classifiers' whole-model exports (<see cref="DigitClassifierOnnx"/>, <see cref="ConvDigitClassifierOnnx"/>) run in ONNX Runtime and give our evaluation logits to 1e-5.</summary>
public sealed class DigitModelsOnnxTests
{
    [Property(MaxTest = 10)]
    public void The_mlp_classifier_export_gives_our_logits(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var generator = Rng(seed);
        var model = DigitClassifier.Init(generator, random.Next(1, 40), 0.3, Cpu);
        var pixels = torch.rand([random.Next(1, 5), DigitClassifier.Pixels], generator: generator);
        var ours = DigitClassifier.Logits(model, pixels, training: false, Rng(0));
        OrtRunner.Agrees(ours, OrtRunner.Run(DigitClassifierOnnx.Export(model).ToModel(), ("pixels", pixels))["logits"], "MLP digits");
    }

    [Property(MaxTest = 5)]
    public void The_conv_classifier_export_gives_our_evaluation_logits(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var generator = Rng(seed);
        var channels = random.Next(1, 6);
        using var half = 0.5.ToScalar();
        BatchNormParams Norm(int c) => new(torch.rand([c], generator: generator).add(half, Scalars.One), torch.randn([c], generator: generator), 0.1, 1e-5);
        BatchNormStats Stats(int c) => new(torch.randn([c], generator: generator), torch.rand([c], generator: generator).add(half, Scalars.One), torch.tensor(3L));
        var model = ConvDigitClassifier.Init(generator, channels, 0.25, Cpu) with { FirstNorm = Norm(channels), SecondNorm = Norm(2 * channels) };
        var stats = new ConvDigitStats(Stats(channels), Stats(2 * channels));
        var pixels = torch.rand([random.Next(1, 4), 784], generator: generator);
        var ours = ConvDigitClassifier.Logits(model, stats, pixels, training: false, Rng(0)).Logits;
        OrtRunner.Agrees(ours, OrtRunner.Run(ConvDigitClassifierOnnx.Export(model, stats).ToModel(), ("pixels", pixels))["logits"], "conv digits");
    }
}
