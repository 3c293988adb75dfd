using Functional.Core;
using Functional.PropertyTests.Sequence;
using Functional.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>The layers a PyTorch user loads by name: a pre-norm block, a post-norm block and an attention layer.</summary>
/// <param name="Pre">Loads into <c>nn.TransformerEncoderLayer(batch_first=True, norm_first=True)</c>.</param>
/// <param name="Post">Loads into <c>nn.TransformerEncoderLayer(batch_first=True, norm_first=False)</c>.</param>
/// <param name="Mha">Loads into <c>nn.MultiheadAttention(batch_first=True)</c>.</param>
public sealed record TransformerCrossCheckModel(TransformerBlockParams Pre, TransformerBlockParams Post, TransformerAttentionParams Mha);

/// <summary>
/// Our transformer weights in PyTorch itself: a safetensors file written here is loaded by tools/crosscheck_transformer.py
/// into <c>torch.nn.TransformerEncoderLayer</c> (pre- and post-norm) and <c>torch.nn.MultiheadAttention</c> with
/// <c>load_state_dict(strict=True)</c>, which runs the same padded input and compares the real positions to ours (1e-5).
/// </summary>
public sealed class PyTorchTransformerCrossCheckTests(ITestOutputHelper output)
{
    [PyTorchTheory]
    [InlineData(false, 5)]
    [InlineData(true, 6)]
    public void Pytorch_loads_our_blocks_and_attention_by_name_and_computes_the_same_outputs_with_padding(bool causal, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        const int model = 8, heads = 2, hidden = 12, batch = 4, length = 7;
        var settings = NoDropout with { Activation = Activation.Gelu };
        var parameters = new TransformerCrossCheckModel(
            TransformerBlock.Init(generator, model, heads, hidden, false, null, settings with { NormFirst = true }, Cpu),
            TransformerBlock.Init(generator, model, heads, hidden, false, null, settings with { NormFirst = false }, Cpu),
            TransformerAttention.Init(generator, model, heads, null, Cpu));
        // Non-trivial norms and biases, so that a swapped name cannot pass.
        parameters = Tree.Map(parameters, leaf => leaf.add(torch.randn(leaf.shape, generator: generator).mul(Scalars.Half), Scalars.One));
        var mask = RandomMask(generator, batch, length, holes: false, emptyRow: true);
        mask[1] = torch.ones(length, dtype: torch.@bool);
        var x = Normal(generator, batch, length, model);
        var sequence = new MaskedSequence(x, mask);
        var allowed = AllowedFor(mask, causal);
        var positions = Positions(batch, length);
        var tensors = TreeFile.Tensors(parameters).Concat(
        [
            new NamedTensor("input", x), new NamedTensor("mask", mask.to(torch.int64)),
            new NamedTensor("heads", torch.tensor((long)heads)), new NamedTensor("causal", torch.tensor(causal ? 1L : 0L)),
            new NamedTensor("expected/pre", TransformerBlock.Apply(parameters.Pre, sequence, allowed, positions, false, generator).Values),
            new NamedTensor("expected/post", TransformerBlock.Apply(parameters.Post, sequence, allowed, positions, false, generator).Values),
            new NamedTensor("expected/mha", TransformerAttention.Self(parameters.Mha, sequence, allowed, positions, 0, false, generator).Values),
        ]).Select(t => t with { Value = t.Value.detach().contiguous() }).ToArray();
        var file = Path.Combine(Path.GetTempPath(), $"crosscheck-transformer-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(file, SafeTensors.Serialize(tensors, new Dictionary<string, string>()));
            var (exitCode, text) = PythonTorch.Run(PythonTorch.Script("crosscheck_transformer.py"), file, "1e-5");
            output.WriteLine(text);
            Assert.True(exitCode == 0, $"tools/crosscheck_transformer.py failed (exit {exitCode}):\n{text}");
            Assert.Contains("cross-check passed", text);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>A theory that needs Python with PyTorch, skipped or failing under CI as <see cref="PyTorchFactAttribute"/>.</summary>
public sealed class PyTorchTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets the skip reason when no python3 imports torch and this is not CI.</summary>
    public PyTorchTheoryAttribute()
    {
        if (PythonTorch.Interpreter is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Skip = "No python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread). Under CI=true this test runs and fails instead.";
    }
}
