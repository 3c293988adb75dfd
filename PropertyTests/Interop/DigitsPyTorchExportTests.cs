using FsCheck.Xunit;
using Functional.Core;
using Functional.Models.Digits;
using Functional.PropertyTests.Sequence;
using Functional.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop;

/// <summary>
/// The conv digit classifier exported to PyTorch's order: a channels-first port (in C# with libtorch's NCHW functions,
/// and in PyTorch itself through tools/interop_pytorch.py with a strict load) computes our logits to 1e-5; without
/// the column permutation it does not.
/// </summary>
public sealed class DigitsPyTorchExportTests(ITestOutputHelper output)
{
    [Fact]
    public void A_channels_first_port_given_the_export_computes_our_logits_and_the_unpermuted_weights_do_not()
    {
        using var scope = torch.NewDisposeScope();
        var (model, stats, pixels) = Example(channels: 4, seed: 5);
        var ours = ConvDigitClassifier.Logits(model, stats, pixels, training: false, Rng(0)).Logits;
        var exported = ConvDigitPyTorch.StateDict(model, stats).ToDictionary(t => t.Name, t => t.Value);
        var port = ChannelsFirstPort(exported, pixels);
        var difference = port.sub(ours).abs().max().item<float>();
        output.WriteLine($"export: max |port - ours| = {difference:g}");
        Assert.True(difference <= 1e-5, $"max |port - ours| = {difference:g}");

        exported["fc.weight"] = model.Output.Weight; // the trap: our H·W·C columns read as C·H·W
        var trapped = ChannelsFirstPort(exported, pixels).sub(ours).abs().max().item<float>();
        output.WriteLine($"unpermuted: max |port - ours| = {trapped:g}");
        Assert.True(trapped > 1e-2, $"the unpermuted weights agree ({trapped:g}); the test cannot tell the orders apart");
    }

    [Property(MaxTest = 100)]
    public void The_column_permutations_are_inverse_and_move_each_column_to_its_channels_first_index(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var channels = 1 + Math.Abs(seed % 5);
        var weight = torch.randn([3, 49 * channels], generator: Rng(seed));
        var first = ConvDigitPyTorch.ChannelsFirstColumns(weight, channels);
        Assert.True(Same.Bitwise(weight, ConvDigitPyTorch.ChannelsLastColumns(first, channels)));
        var (h, w, c) = (Math.Abs(seed) % 7, Math.Abs(seed / 7) % 7, Math.Abs(seed / 49) % channels);
        Assert.True(Same.Bitwise(weight[.., (h * 7 + w) * channels + c], first[.., c * 49 + h * 7 + w]));
    }

    [PyTorchFact]
    public void A_strict_pytorch_port_loads_the_export_and_reproduces_our_logits()
    {
        using var scope = torch.NewDisposeScope();
        var (model, stats, pixels) = Example(channels: 16, seed: 11);
        var ours = ConvDigitClassifier.Logits(model, stats, pixels, training: false, Rng(0)).Logits;
        var tensors = ConvDigitPyTorch.StateDict(model, stats)
            .Concat([new NamedTensor("pixels", pixels), new NamedTensor("expected", ours)])
            .Select(t => t with { Value = t.Value.detach().contiguous() }).ToArray();
        var file = Path.Combine(Path.GetTempPath(), $"digits-port-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(file, SafeTensors.Serialize(tensors, new Dictionary<string, string>()));
            var (exitCode, text) = PythonTorch.Run(PythonTorch.Script("interop_pytorch.py"), "digits", file, "1e-5");
            output.WriteLine(text);
            Assert.True(exitCode == 0, $"tools/interop_pytorch.py digits failed (exit {exitCode}):\n{text}");
            Assert.Contains("digits port passed", text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A classifier with random batch-norm parameters and statistics (so that every tensor matters), and pixels.</summary>
    static (ConvDigitClassifier, ConvDigitStats, torch.Tensor) Example(int channels, int seed)
    {
        var generator = Rng(seed);
        using var half = 0.5.ToScalar();
        var model = ConvDigitClassifier.Init(generator, channels, 0.25, Cpu);
        BatchNormParams Norm(int c) => new(torch.rand([c], generator: generator).add(half, Scalars.One), torch.randn([c], generator: generator), 0.1, 1e-5);
        BatchNormStats Stats(int c) => new(torch.randn([c], generator: generator), torch.rand([c], generator: generator).add(half, Scalars.One), torch.tensor(7L));
        model = model with { FirstNorm = Norm(channels), SecondNorm = Norm(2 * channels) };
        return (model, new ConvDigitStats(Stats(channels), Stats(2 * channels)), torch.rand([5, 784], generator: generator));
    }

    /// <summary>The PyTorch port's forward with libtorch's channels-first functions (NCHW, flatten C·H·W).</summary>
    static torch.Tensor ChannelsFirstPort(IReadOnlyDictionary<string, torch.Tensor> s, torch.Tensor pixels)
    {
        var x = pixels.reshape(-1, 1, 28, 28);
        foreach (var (conv, bn) in new[] { ("conv1", "bn1"), ("conv2", "bn2") })
        {
            x = torch.nn.functional.conv2d(x, s[$"{conv}.weight"], null, [1, 1], [1, 1], [1, 1]);
            x = torch.nn.functional.batch_norm(x, s[$"{bn}.running_mean"], s[$"{bn}.running_var"], s[$"{bn}.weight"], s[$"{bn}.bias"], false, 0.1, 1e-5);
            x = torch.nn.functional.max_pool2d(torch.nn.functional.relu(x), 2);
        }
        return torch.nn.functional.linear(x.flatten(1), s["fc.weight"], s["fc.bias"]);
    }
}
