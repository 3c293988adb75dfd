using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>
/// Our layers beside TorchSharp's own modules in the same process, the weights loaded by name with
/// <c>load_state_dict(strict: true)</c> (tree path with '.' for '/'): <c>nn.TransformerEncoderLayer</c> (libtorch's C++
/// module: post-norm, sequence-first) and <c>nn.MultiheadAttention</c>.
/// </summary>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class TorchSharpPeerTests
{
    static Dictionary<string, torch.Tensor> StateDict<T>(T tree) =>
        Tree.Flatten(tree).ToDictionary(leaf => leaf.Path.Replace('/', '.'), leaf => leaf.Value);

    /// <summary>The real positions of rows that have one, where both sides must agree (PyTorch gives NaN for an all-padding row).</summary>
    static void AssertRealClose(torch.Tensor expected, torch.Tensor actual, torch.Tensor mask)
    {
        var real = mask.unsqueeze(-1).expand(actual.shape);
        AssertClose(expected.masked_select(real), actual.masked_select(real), rtol: 1e-5, atol: 1e-5);
    }

    [Property(MaxTest = 60)]
    public void A_post_norm_block_equals_nn_TransformerEncoderLayer_loaded_by_name(Batch batch, Dim length, Dim heads, Dim headWidth, bool gelu, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var h = Math.Min((int)heads, 3);
        var model = h * headWidth;
        var block = TransformerBlock.Init(generator, model, h, 7, false, null, NoDropout with { NormFirst = false, Activation = gelu ? Activation.Gelu : Activation.Relu }, Cpu);
        var mask = RandomMask(generator, batch, length, holes: true);
        mask[0, 0] = torch.tensor(true); // PyTorch's fast path wants a real token somewhere
        var x = Normal(generator, batch, length, model);
        var ours = TransformerBlock.Apply(block, new MaskedSequence(x, mask), AttentionMasks.Padding(mask, mask), Positions(batch, length), false, generator);

        using var layer = torch.nn.TransformerEncoderLayer(model, h, 7, 0.0, gelu ? torch.nn.Activations.GELU : torch.nn.Activations.ReLU);
        var (missing, unexpected) = layer.load_state_dict(StateDict(block), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        layer.eval();
        using var noGrad = torch.no_grad();
        var theirs = layer.call(x.transpose(0, 1), null, mask.logical_not()).transpose(0, 1);
        var seen = mask.any(1);
        AssertRealClose(theirs.index(seen), ours.Values.index(seen), mask.index(seen));
    }

    [Property(MaxTest = 60)]
    public void Attention_equals_nn_MultiheadAttention_loaded_by_name_self_and_cross(Batch batch, Dim queries, Dim keys, Dim heads, Dim headWidth, bool causal, bool cross, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var h = Math.Min((int)heads, 3);
        var model = h * headWidth;
        var attention = TransformerAttention.Init(generator, model, h, null, Cpu);
        long k = cross ? keys : queries;
        var queryMask = RandomMask(generator, batch, queries, holes: true);
        var keyMask = cross ? RandomMask(generator, batch, k, holes: true) : queryMask;
        var query = Normal(generator, batch, queries, model);
        var memory = cross ? Normal(generator, batch, k, model) : query;
        var allowed = AttentionMasks.Padding(queryMask, keyMask);
        if (causal) allowed = AttentionMasks.Combine(allowed, AttentionMasks.Causal(batch, queries, k, 0, Cpu));
        var ours = cross
            ? TransformerAttention.Cross(attention, new MaskedSequence(query, queryMask), new MaskedSequence(memory, keyMask), allowed, 0, false, generator)
            : TransformerAttention.Self(attention, new MaskedSequence(query, queryMask), allowed, Positions(batch, queries), 0, false, generator);

        using var module = torch.nn.MultiheadAttention(model, h);
        var (missing, unexpected) = module.load_state_dict(StateDict(attention), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        using var noGrad = torch.no_grad();
        // Row by row with an additive float mask [queries, keys] (−∞ = hidden): TorchSharp's module does not read a Bool
        // mask as PyTorch does, and refuses a 3-d one of a single row.
        using var minusInfinity = float.NegativeInfinity.ToScalar();
        var rows = new List<torch.Tensor>();
        for (var b = 0; b < batch; b++)
        {
            var additive = torch.zeros(queries, k).masked_fill(allowed[b].logical_not(), minusInfinity);
            var (row, _) = module.forward(query[b].unsqueeze(1), memory[b].unsqueeze(1), memory[b].unsqueeze(1), null, true, additive);
            rows.Add(row.squeeze(1));
        }
        var theirs = torch.stack(rows, 0).transpose(0, 1);
        var sees = allowed.any(-1); // PyTorch gives NaN where a query sees nothing; ours gives the bias there (checked elsewhere)
        AssertRealClose(theirs.transpose(0, 1), ours.Values, sees);
    }

    [Fact]
    public void The_tree_paths_are_exactly_the_state_dict_names_of_the_torch_modules()
    {
        using var scope = torch.NewDisposeScope();
        var block = TransformerBlock.Init(Rng(0), 6, 2, 5, false, null, NoDropout, Cpu);
        using var layer = torch.nn.TransformerEncoderLayer(6, 2, 5, 0.0);
        Assert.Equal(layer.state_dict().Keys.Order(), StateDict(block).Keys.Order());
        using var module = torch.nn.MultiheadAttention(6, 2);
        Assert.Equal(module.state_dict().Keys.Order(), StateDict(block.SelfAttn).Keys.Order());
        var stack = TransformerStack.Init(Rng(0), 2, 6, 2, 5, false, null, NoDropout, true, Cpu);
        Assert.Equal(["layers.0.linear1.weight", "layers.1.self_attn.in_proj_weight", "norm.bias", "norm.weight"],
            StateDict(stack).Keys.Where(name => name is "layers.0.linear1.weight" or "layers.1.self_attn.in_proj_weight" || name.StartsWith("norm.", StringComparison.Ordinal)).Order());
    }
}
