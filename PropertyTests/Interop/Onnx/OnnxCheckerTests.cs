using System.Diagnostics;
using Functional.Core;
using Functional.Models.Digits;
using Functional.Models.Titles;
using Functional.Models.Titles.UniLm;
using Functional.Onnx;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// Every exporter's graph, written as a file, passes ONNX's own checker with full shape inference
/// (<c>onnx.checker.check_model(model, full_check=True)</c>, Debian's python3-onnx).
/// </summary>
public sealed class OnnxCheckerTests
{
    [OnnxCheckerFact]
    public void Every_exported_layer_and_model_passes_the_onnx_checker()
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(5);
        var graphs = new Dictionary<string, OnnxGraph>
        {
            ["mlp-digits"] = DigitClassifierOnnx.Export(DigitClassifier.Init(generator, 8, 0.2, Cpu)),
        };
        var conv = ConvDigitClassifier.Init(generator, 2, 0.2, Cpu);
        graphs["conv-digits"] = ConvDigitClassifierOnnx.Export(conv, ConvDigitClassifier.InitStats(conv));
        var titles = TitleModel.Init(generator, 9, new TitleModelOptions(4, 3, 2, 5, 2, 6, 0, 20, 10), Cpu);
        graphs["title-encoder"] = TitleModelOnnx.Encoder(titles);
        graphs["title-decoder-step"] = TitleModelOnnx.DecoderStep(titles);
        var unilm = UniLmModel.Init(generator, 9, new TitleModelOptions(4, 3, 2, 5, 2, 6, 0, 20, 10) { Kind = TitleModelKinds.UniLm }, Cpu);
        graphs["unilm-prefix"] = UniLmOnnx.Prefix(unilm);
        graphs["unilm-step"] = UniLmOnnx.Step(unilm);

        var layers = new OnnxGraph("layers");
        var ids = layers.Input("ids", torch.ScalarType.Int64, -1, -1);
        var mask = layers.Input("mask", torch.ScalarType.Bool, -1, -1);
        var embedded = EmbeddingOnnx.Export(layers, "embedding", Embedding.Init(generator, 11, 6, Cpu), ids);
        var normed = DropoutOnnx.ExportInference(layers, "dropout", LayerNormOnnx.Export(layers, "norm", LayerNorm.Init(6, Cpu), embedded));
        var lstm = RecurrentOnnx.Lstm(layers, "lstm", Lstm.Init(generator, 6, 3, 2, true, Cpu), normed, mask);
        var gru = RecurrentOnnx.Gru(layers, "gru", Gru.Init(generator, 6, 6, 1, false, Cpu), normed, mask);
        var dot = AttentionOnnx.ScaledDotProduct(layers, "dot", gru.Output, mask, normed, normed, mask, causal: true);
        var additive = AdditiveAttentionOnnx.Export(layers, "additive", AdditiveAttention.Init(generator, 6, 6, 4, Cpu), dot.Output, mask, lstm.Output, mask, causal: false);
        var multiHead = MultiHeadAttentionOnnx.Export(layers, "multiHead", MultiHeadAttention.Init(generator, 6, 2, Cpu), additive.Output, mask, normed, mask, causal: true);
        layers.Output(multiHead.Output, torch.ScalarType.Float32, -1, -1, 6);
        layers.Output(lstm.Hidden, torch.ScalarType.Float32, 4, -1, 3);
        layers.Output(lstm.Cell!, torch.ScalarType.Float32, 4, -1, 3);
        layers.Output(multiHead.Weights, torch.ScalarType.Float32, -1, 2, -1, -1);
        var images = layers.Input("images", torch.ScalarType.Float32, -1, -1, -1, 3);
        layers.Output(Pooling2dOnnx.Average(layers, "average", new Pool2dWindow(3, 2, 1), images), torch.ScalarType.Float32, -1, -1, -1, 3);
        graphs["layers"] = layers;
        graphs["transformers"] = Transformers(generator);
        var stack = TransformerStack.Init(generator, 2, 4, 2, 6, true, RotarySettings.Default, TransformerBlockSettings.Default with { NormFirst = false }, false, Cpu);
        var example = new MaskedSequence(torch.zeros(1, 3, 4), torch.ones([1, 3], dtype: torch.@bool));
        graphs["transformer-stack"] = TransformerStackOnnx.Graph(stack, example, torch.ones([1, 3, 3], dtype: torch.@bool), Ranges.Of(3, Cpu).unsqueeze(0));

        var folder = Directory.CreateTempSubdirectory("onnx-checker-");
        try
        {
            var files = graphs.Select(pair =>
            {
                var file = Path.Combine(folder.FullName, $"{pair.Key}.onnx");
                pair.Value.Save(file);
                return file;
            }).ToArray();
            var (exitCode, output) = OnnxChecker.Check(files);
            Assert.True(exitCode == 0, $"onnx.checker refused an exported file:\n{output}");
            foreach (var file in files) Assert.Contains($"ok {file}", output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Every transformer exporter in one graph: positions, norms, SwiGLU, the three masks, attention, pre- and post-norm blocks, a cached stack step.</summary>
    static OnnxGraph Transformers(torch.Generator generator)
    {
        var graph = new OnnxGraph("transformers");
        var values = graph.Input("values", torch.ScalarType.Float32, -1, -1, 4);
        var mask = graph.Input("mask", torch.ScalarType.Bool, -1, -1);
        var sources = graph.Input("sources", torch.ScalarType.Int64, -1);
        var targets = graph.Input("targets", torch.ScalarType.Int64, -1);
        var offset = graph.Input("offset", torch.ScalarType.Int64);
        var positions = PositionsOnnx.FromSequence(graph, "positions", mask);
        var x = graph.Node("Add", "withPositions", [
            graph.Node("Add", "sinusoidalSum", [values, SinusoidalPositionsOnnx.Export(graph, "sinusoidal", 4, positions)]),
            LearnedPositionsOnnx.Export(graph, "learned", LearnedPositions.Init(generator, 50, 4, Cpu), positions)]);
        x = SwiGluOnnx.Export(graph, "swiglu", SwiGlu.Init(generator, 4, 6, 4, Cpu), RmsNormOnnx.Export(graph, "rms", RmsNorm.Init(4, Cpu), x));
        var prefix = AttentionMasksOnnx.PrefixLm(graph, "prefixLm", sources, targets, mask);
        var causal = AttentionMasksOnnx.Combine(graph, "causalPadding", AttentionMasksOnnx.Causal(graph, "causal", mask, mask), AttentionMasksOnnx.Padding(graph, "padding", mask, mask));
        x = TransformerAttentionOnnx.Self(graph, "attention", TransformerAttention.Init(generator, 4, 2, new RotarySettings(10000, RotaryLayout.Interleaved), Cpu), x, mask, prefix, positions);
        x = TransformerBlockOnnx.Export(graph, "pre", TransformerBlock.Init(generator, 4, 2, 6, false, null, TransformerBlockSettings.Default, Cpu), x, mask, causal, null);
        x = TransformerBlockOnnx.Export(graph, "post", TransformerBlock.Init(generator, 4, 2, 6, true, RotarySettings.Default, TransformerBlockSettings.Default with { NormFirst = false }, Cpu), x, mask, prefix, positions);
        graph.Output(x, torch.ScalarType.Float32, -1, -1, 4);
        var stack = TransformerStack.Init(generator, 2, 4, 2, 6, false, RotarySettings.Default, TransformerBlockSettings.Default, true, Cpu);
        var caches = Enumerable.Range(0, 2).Select(k => new OnnxKvCache(
            graph.Input($"keys{k}", torch.ScalarType.Float32, -1, 2, -1, 2), graph.Input($"values{k}", torch.ScalarType.Float32, -1, 2, -1, 2), graph.Input($"mask{k}", torch.ScalarType.Bool, -1, -1))).ToArray();
        var keyMask = graph.Node("Concat", "keyMask", [caches[0].Mask, mask], OnnxAttribute.Of("axis", 1L));
        var (output, next) = TransformerStackOnnx.Step(graph, "stack", stack, values, mask, AttentionMasksOnnx.Causal(graph, "stepCausal", mask, keyMask, offset),
            PositionsOnnx.FromSequence(graph, "stepPositions", mask, offset), caches);
        graph.Output(output, torch.ScalarType.Float32, -1, -1, 4);
        foreach (var cache in next)
        {
            graph.Output(cache.Keys, torch.ScalarType.Float32, -1, 2, -1, 2);
            graph.Output(cache.Values, torch.ScalarType.Float32, -1, 2, -1, 2);
            graph.Output(cache.Mask, torch.ScalarType.Bool, -1, -1);
        }
        return graph;
    }
}

/// <summary>Runs ONNX's checker (Debian's python3-onnx) over files.</summary>
public static class OnnxChecker
{
    const string Script = "import sys, onnx\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\n    print('ok', f)\n";

    static readonly Lazy<bool> Found = new(() => Run("-c", "import onnx").ExitCode == 0);

    /// <summary>Whether /usr/bin/python3 imports onnx.</summary>
    public static bool Available => Found.Value;

    /// <summary>Checks every file (full shape inference); exit code 0 and one <c>ok &lt;file&gt;</c> line each when all pass.</summary>
    public static (int ExitCode, string Output) Check(IEnumerable<string> files) => Run(["-c", Script, .. files]);

    static (int ExitCode, string Output) Run(params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var standardOutput = process.StandardOutput.ReadToEndAsync();
            var standardError = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, "timed out after 2 minutes");
            }
            return (process.ExitCode, standardOutput.Result + standardError.Result);
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return (-1, $"no /usr/bin/python3: {error.Message}");
        }
    }
}

/// <summary>A fact that needs python3-onnx: skipped, with the reason, when it is missing outside CI; under <c>CI=true</c> it runs and fails instead.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when /usr/bin/python3 cannot import onnx and this is not CI.</summary>
    public OnnxCheckerFactAttribute()
    {
        if (!OnnxChecker.Available && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Skip = "No python3-onnx (Debian: apt-get install python3-onnx). Under CI=true this test runs and fails instead.";
    }
}
