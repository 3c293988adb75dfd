using Functional.Core;
using Functional.Inference;
using Functional.Models.Digits;
using Functional.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// The loading side (<see cref="OnnxModel"/>, no TorchSharp) refuses doctored files — truncated, not ONNX at all, a
/// graph whose shapes do not fit — with an error naming the file, and refuses inputs that do not fit the declared
/// ones with an error naming the input and both shapes; an intact export loads and runs.
/// </summary>
public sealed class DoctoredOnnxTests : IDisposable
{
    readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("onnx-doctored-");

    byte[] Mlp()
    {
        using var scope = torch.NewDisposeScope();
        return DigitClassifierOnnx.Export(DigitClassifier.Init(Rng(1), 6, 0.1, Cpu)).ToModel();
    }

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(folder.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void A_truncated_file_is_refused_naming_it(double kept)
    {
        var bytes = Mlp();
        var path = Write("truncated.onnx", bytes[..(int)(bytes.Length * kept)]);
        var error = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("not a loadable ONNX model", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_refused()
    {
        var path = Write("text.onnx", "this is not a model"u8.ToArray());
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => OnnxModel.Load(path)).Message);
    }

    [Fact]
    public void A_graph_whose_shapes_do_not_fit_is_refused_at_load()
    {
        using var scope = torch.NewDisposeScope();
        var graph = new OnnxGraph("wrong-shapes");
        // The input declares 5 features but the weight takes 4: MatMul [?, 5] · [4, 2] cannot type-check.
        var y = LinearOnnx.Export(graph, "linear", Linear.Init(Rng(2), 4, 2, Cpu), graph.Input("x", torch.ScalarType.Float32, -1, 5));
        graph.Output(y, torch.ScalarType.Float32, -1, 2);
        var path = Write("wrong-shapes.onnx", graph.ToModel());
        var error = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_missing_file_is_refused_naming_it()
    {
        var path = Path.Combine(folder.FullName, "absent.onnx");
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => OnnxModel.Load(path)).Message);
    }

    [Fact]
    public void Inputs_that_do_not_fit_are_refused_naming_the_input_and_shapes_and_an_intact_file_runs()
    {
        using var model = OnnxModel.Load(Write("mlp.onnx", Mlp()));
        var wrong = NamedOnnxValue.CreateFromTensor("pixels", new DenseTensor<float>(new float[3 * 700], [3, 700]));
        var error = Assert.Throws<ArgumentException>(() => model.Run([wrong]));
        Assert.Contains("input 'pixels' must be Single [-1, 784]", error.Message);
        Assert.Contains("got Single [3, 700]", error.Message);
        var unknown = NamedOnnxValue.CreateFromTensor("image", new DenseTensor<float>(new float[784], [1, 784]));
        Assert.Contains("missing input(s) pixels", Assert.Throws<ArgumentException>(() => model.Run([unknown])).Message);
        var right = NamedOnnxValue.CreateFromTensor("pixels", new DenseTensor<float>(new float[2 * 784], [2, 784]));
        using var results = model.Run([right]);
        Assert.Equal(new[] { 2, 10 }, results.Single().AsTensor<float>().Dimensions.ToArray());
    }

    [Fact]
    public void Native_inputs_that_do_not_fit_are_refused_as_managed_ones_are_and_fitting_ones_run()
    {
        using var model = OnnxModel.Load(Write("mlp-native.onnx", Mlp()));
        var output = model.Outputs.Single();
        using (var wrong = OrtValue.CreateTensorValueFromMemory(new float[3 * 700], [3, 700]))
        {
            var error = Assert.Throws<ArgumentException>(() => model.Run(new Dictionary<string, OrtValue> { ["pixels"] = wrong }, [output]));
            Assert.Contains("input 'pixels' must be Single [-1, 784]", error.Message);
            Assert.Contains("got Single [3, 700]", error.Message);
        }
        using (var longs = OrtValue.CreateTensorValueFromMemory(new long[784], [1, 784]))
            Assert.Contains("got Int64 [1, 784]", Assert.Throws<ArgumentException>(() => model.Run(new Dictionary<string, OrtValue> { ["pixels"] = longs }, [output])).Message);
        using (var unknown = OrtValue.CreateTensorValueFromMemory(new float[784], [1, 784]))
            Assert.Contains("missing input(s) pixels", Assert.Throws<ArgumentException>(() => model.Run(new Dictionary<string, OrtValue> { ["image"] = unknown }, [output])).Message);
        using var right = OrtValue.CreateTensorValueFromMemory(new float[2 * 784], [2, 784]);
        using var results = model.Run(new Dictionary<string, OrtValue> { ["pixels"] = right }, [output]);
        Assert.Equal(new long[] { 2, 10 }, results.Single().GetTensorTypeAndShape().Shape);
    }

    /// <summary>Deletes the temporary files.</summary>
    public void Dispose() => folder.Delete(recursive: true);
}
