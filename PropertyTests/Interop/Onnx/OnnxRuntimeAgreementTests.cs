using FsCheck.Xunit;
using Functional.Core;
using Functional.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// The exported ONNX graphs run in ONNX Runtime (in process) and agree with our forward to 1e-5: Linear, each
/// activation, and a two-layer feed-forward stack, on random sizes and inputs with a variable batch.
/// </summary>
public sealed class OnnxRuntimeAgreementTests
{
    [Property(MaxTest = 30)]
    public void A_linear_then_each_activation_then_a_linear_agrees_with_our_forward(int seed)
    {
        foreach (var activation in Enum.GetValues<Activation>()) LinearActivationLinear(seed, activation);
    }

    static void LinearActivationLinear(int seed, Activation activation)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int inputs = random.Next(1, 9), hidden = random.Next(1, 9), outputs = random.Next(1, 9), batch = random.Next(1, 5);
        var generator = Rng(seed);
        var first = Linear.Init(generator, inputs, hidden, Cpu);
        var second = random.Next(2) == 0 ? Linear.Init(generator, hidden, outputs, Cpu) : Linear.InitWithoutBias(generator, hidden, outputs, Cpu);
        using var three = 3.ToScalar();
        var x = torch.randn([batch, inputs], generator: generator).mul(three);

        var graph = new OnnxGraph("mlp");
        var input = graph.Input("x", torch.ScalarType.Float32, -1, inputs);
        var h = LinearOnnx.Export(graph, "first", first, input);
        var a = ActivationsOnnx.Export(graph, "activation", activation, h);
        var y = LinearOnnx.Export(graph, "second", second, a);
        graph.Output(y, torch.ScalarType.Float32, -1, outputs);

        var expected = Linear.Apply(second, Activations.Apply(activation, Linear.Apply(first, x)));
        var actual = Run(graph.ToModel(), "x", x);
        Assert.Equal(expected.shape, actual.shape);
        var difference = expected.sub(actual).abs().max().item<float>();
        Assert.True(difference <= 1e-5, $"{activation}: max |ours - ORT| = {difference:g}");
    }

    [Fact]
    public void A_rank_3_input_goes_through_linear_as_through_ours()
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(3);
        var linear = Linear.Init(generator, 4, 2, Cpu);
        var x = torch.randn([2, 5, 4], generator: generator);
        var graph = new OnnxGraph("linear");
        graph.Output(LinearOnnx.Export(graph, "linear", linear, graph.Input("x", torch.ScalarType.Float32, -1, -1, 4)), torch.ScalarType.Float32, -1, -1, 2);
        var difference = Linear.Apply(linear, x).sub(Run(graph.ToModel(), "x", x)).abs().max().item<float>();
        Assert.True(difference <= 1e-5, $"max |ours - ORT| = {difference:g}");
    }

    [Fact]
    public void A_saved_file_loads_in_onnx_runtime_by_path_with_its_declared_inputs_and_outputs()
    {
        using var scope = torch.NewDisposeScope();
        var graph = new OnnxGraph("relu");
        graph.Output(ActivationsOnnx.Export(graph, "act", Activation.Relu, graph.Input("x", torch.ScalarType.Float32, -1, 3)), torch.ScalarType.Float32, -1, 3);
        var file = Path.Combine(Path.GetTempPath(), $"relu-{Guid.NewGuid():N}.onnx");
        try
        {
            graph.Save(file);
            using var session = new InferenceSession(file);
            Assert.Equal(["x"], session.InputMetadata.Keys);
            Assert.Equal(new[] { -1, 3 }, session.InputMetadata["x"].Dimensions);
            Assert.Equal(["act/Relu"], session.OutputMetadata.Keys);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_repeated_name_is_refused_naming_it()
    {
        var graph = new OnnxGraph("g");
        graph.Input("x", torch.ScalarType.Float32, 1);
        var error = Assert.Throws<ArgumentException>(() => graph.Node("Relu", "x", ["x"]));
        Assert.Contains("already has a value named 'x'", error.Message);
    }

    /// <summary>Runs <paramref name="model"/> in ONNX Runtime on one float32 input; the first output as a tensor.</summary>
    static torch.Tensor Run(byte[] model, string inputName, torch.Tensor input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var dims = input.shape.Select(d => (int)d).ToArray();
        var values = new DenseTensor<float>(input.contiguous().data<float>().ToArray(), dims);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, values)]);
        var output = results.First().AsTensor<float>();
        return torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray());
    }
}
