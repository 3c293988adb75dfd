using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;

namespace Functional.PropertyTests.Sequences;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class AttentionTests
{
    /// <summary>The three attention layers: an initialiser (generator, width) and an application (params, query, mask, causal) as self-attention; multi-head has <paramref name="heads"/> heads of the width.</summary>
    static (string Name, Func<torch.Generator, int, object> Init, Func<object, torch.Tensor, torch.Tensor, bool, AttentionResult> Apply)[] Layers(int heads) =>
    [
        ("dot product", (g, w) => Linear.Init(g, w, w, Cpu), (p, x, m, c) => Attention.ScaledDotProduct(Linear.Apply((LinearParams)p, x), m, x, x, m, c)),
        ("additive", (g, w) => AdditiveAttention.Init(g, w, w, 3, Cpu), (p, x, m, c) => AdditiveAttention.Apply((AdditiveAttentionParams)p, x, m, x, m, c)),
        ("multi-head", (g, w) => MultiHeadAttention.Init(g, w * heads, heads, Cpu), (p, x, m, c) => MultiHeadAttention.Apply((MultiHeadAttentionParams)p, x, m, x, m, c)),
    ];

    [Property(MaxTest = 40)]
    public void Every_attention_layer_passes_the_mask_invariance_check_with_and_without_causal_masking(Dim width, Dim heads, bool causal, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var h = Math.Min(heads, 3);
        foreach (var (name, init, apply) in Layers(h))
        {
            var p = init(Rng(seed), width);
            var features = name == "multi-head" ? width * h : width;
            var options = MaskInvarianceOptions.Default with { Cases = 3, Features = features, Seed = seed, MaxLength = 5 };
            var report = name switch
            {
                "dot product" => MaskInvariance.Check((LinearParams q, torch.Tensor x, torch.Tensor m) => apply(q, x, m, causal).Output, (LinearParams)p, options),
                "additive" => MaskInvariance.Check((AdditiveAttentionParams q, torch.Tensor x, torch.Tensor m) => apply(q, x, m, causal).Output, (AdditiveAttentionParams)p, options),
                _ => MaskInvariance.Check((MultiHeadAttentionParams q, torch.Tensor x, torch.Tensor m) => apply(q, x, m, causal).Output, (MultiHeadAttentionParams)p, options),
            };
            Assert.True(report.Passed, $"{name}: {report}");
        }
    }

    [Property(MaxTest = 100)]
    public void Weights_sum_to_one_over_visible_keys_and_are_zero_elsewhere_for_cross_attention(Batch batch, Dim queries, Dim keys, Dim width, bool causal, bool holes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var queryMask = RandomMask(generator, batch, queries, holes, emptyRow: true);
        var keyMask = RandomMask(generator, batch, keys, holes);
        var query = Normal(generator, batch, queries, width);
        var memory = Normal(generator, batch, keys, width);
        var visible = queryMask.unsqueeze(2).logical_and(keyMask.unsqueeze(1));
        if (causal) visible = visible.logical_and(Masks.Causal(queries, keys, Cpu));
        foreach (var (name, init, apply) in Layers(1))
        {
            var p = init(generator, width);
            var result = name switch
            {
                "dot product" => Attention.ScaledDotProduct(query, queryMask, memory, memory, keyMask, causal),
                "additive" => AdditiveAttention.Apply((AdditiveAttentionParams)p, query, queryMask, memory, keyMask, causal),
                _ => MultiHeadAttention.Apply((MultiHeadAttentionParams)p, query, queryMask, memory, keyMask, causal),
            };
            var weights = name == "multi-head" ? result.Weights.squeeze(1) : result.Weights;
            Assert.Equal(new long[] { batch, queries, keys }, weights.shape);
            AssertZero(weights.masked_select(visible.logical_not()), $"{name}: weights of keys a query may not see");
            var sums = weights.sum(-1);
            var seesSomething = visible.any(-1);
            AssertClose(seesSomething.to(torch.float32), sums, atol: 1e-5);
            Assert.True(Same.Bitwise(queryMask, result.Output.Mask), $"{name}: output mask");
            AssertZero(result.Output.Values.masked_select(queryMask.logical_not().unsqueeze(-1).expand(result.Output.Values.shape)), $"{name}: padded queries");
            AssertFinite(result.Output.Values, name);
        }
    }

    [Property(MaxTest = 100)]
    public void Cross_attention_ignores_the_content_of_padding_in_both_sequences_and_extra_memory_padding(Batch batch, Dim queries, Dim keys, Dim width, bool causal, bool holes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var queryMask = RandomMask(generator, batch, queries, holes);
        var keyMask = RandomMask(generator, batch, keys, holes);
        var query = Normal(generator, batch, queries, width);
        var memory = Normal(generator, batch, keys, width);
        var junkQuery = WithJunk(query, queryMask, torch.tensor(float.NaN));
        var longKeyMask = torch.cat([keyMask, torch.zeros([batch, 2], dtype: torch.@bool)], 1);
        var junkMemory = WithJunk(torch.cat([memory, torch.zeros(batch, 2, width)], 1), longKeyMask, torch.tensor(float.PositiveInfinity));
        foreach (var (name, init, _) in Layers(1))
        {
            var p = init(generator, width);
            AttentionResult Run(torch.Tensor q, torch.Tensor m, torch.Tensor km) => name switch
            {
                "dot product" => Attention.ScaledDotProduct(q, queryMask, m, m, km, causal),
                "additive" => AdditiveAttention.Apply((AdditiveAttentionParams)p, q, queryMask, m, km, causal),
                _ => MultiHeadAttention.Apply((MultiHeadAttentionParams)p, q, queryMask, m, km, causal),
            };
            var clean = Run(query, memory, keyMask);
            var junk = Run(junkQuery, junkMemory, longKeyMask);
            AssertClose(clean.Output.Values, junk.Output.Values, atol: 1e-6);
            AssertClose(clean.Weights, junk.Weights.narrow(-1, 0, keys), atol: 1e-6);
            AssertZero(junk.Weights.narrow(-1, keys, 2), $"{name}: weights of appended padding");
        }
    }

    [Property(MaxTest = 100)]
    public void ScaledDotProduct_agrees_with_plain_softmax_attention_on_each_row_unpadded(Batch batch, Dim queries, Dim keys, Dim width, bool causal, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var queryMask = RandomMask(generator, batch, queries, holes: false);
        var keyMask = RandomMask(generator, batch, keys, holes: false);
        var q = Normal(generator, batch, queries, width);
        var k = Normal(generator, batch, keys, width);
        var v = Normal(generator, batch, keys, width + 1);
        var result = Attention.ScaledDotProduct(q, queryMask, k, v, keyMask, causal);
        for (var b = 0; b < batch; b++)
        {
            int nq = (int)queryMask[b].sum().item<long>(), nk = (int)keyMask[b].sum().item<long>();
            if (nq == 0) continue;
            var mask = causal ? torch.ones(nq, nk, dtype: torch.@bool).tril() : torch.ones(nq, nk, dtype: torch.@bool);
            var sees = mask.any(-1);
            if (!sees.any().item<bool>()) { AssertZero(result.Output.Values[b], "a row that sees nothing"); continue; }
            var expected = torch.nn.functional.scaled_dot_product_attention(q[b, ..nq].unsqueeze(0), k[b, ..nk].unsqueeze(0), v[b, ..nk].unsqueeze(0), mask.unsqueeze(0))[0];
            var seeing = (int)sees.sum().item<long>();
            AssertClose(expected[..seeing], result.Output.Values[b, ..seeing], atol: 1e-5);
            AssertZero(result.Output.Values[b, seeing..nq], "queries that see no key");
        }
    }

    [Property(MaxTest = 100)]
    public void MultiHeadAttention_agrees_with_nn_MultiheadAttention_on_each_row_unpadded(Batch batch, Dim queries, Dim keys, Dim headWidth, Dim heads, bool causal, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var h = Math.Min(heads, 3);
        var model = headWidth * h;
        var p = MultiHeadAttention.Init(generator, model, h, Cpu);
        var queryMask = RandomMask(generator, batch, queries, holes: false);
        var keyMask = RandomMask(generator, batch, keys, holes: false);
        var query = Normal(generator, batch, queries, model);
        var memory = Normal(generator, batch, keys, model);
        var result = MultiHeadAttention.Apply(p, query, queryMask, memory, keyMask, causal);
        using var module = torch.nn.MultiheadAttention(model, h);
        var named = module.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        CopyInto(named["in_proj_weight"], torch.cat([p.Query.Weight, p.Key.Weight, p.Value.Weight], 0));
        CopyInto(named["in_proj_bias"], torch.cat([p.Query.Bias!, p.Key.Bias!, p.Value.Bias!], 0));
        CopyInto(named["out_proj.weight"], p.Output.Weight);
        CopyInto(named["out_proj.bias"], p.Output.Bias!);
        for (var b = 0; b < batch; b++)
        {
            int nq = (int)queryMask[b].sum().item<long>(), nk = (int)keyMask[b].sum().item<long>();
            if (nq == 0 || nk == 0) continue;
            var seeing = causal ? Math.Min(nq, nk) : nq;
            var hidden = causal ? torch.ones(nq, nk, dtype: torch.@bool).triu(1) : torch.zeros(nq, nk, dtype: torch.@bool);
            // An additive float mask (-inf = hidden): TorchSharp's module does not read a Bool attn_mask as PyTorch does.
            using var minusInfinity = float.NegativeInfinity.ToScalar();
            var additive = torch.zeros(nq, nk).masked_fill(hidden, minusInfinity);
            var (expected, weights) = module.forward(query[b, ..nq].unsqueeze(1), memory[b, ..nk].unsqueeze(1), memory[b, ..nk].unsqueeze(1), null, true, additive);
            AssertClose(expected[..seeing, 0], result.Output.Values[b, ..seeing], atol: 1e-5);
            AssertClose(weights[0, ..seeing], result.Weights[b, .., ..seeing, ..nk].mean([0]), atol: 1e-5);
        }
    }

    [Property(MaxTest = 25)]
    public void GradCheck_passes_for_every_attention_layer(Batch batch, Dim queries, Dim keys, bool causal, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        const int width = 2;
        var queryMask = RandomMask(generator, batch, queries, holes: true, emptyRow: true);
        var keyMask = RandomMask(generator, batch, keys, holes: true);
        var query = Normal64(generator, batch, queries, width * 2);
        var memory = Normal64(generator, batch, keys, width * 2);
        var w = Normal64(generator, batch, queries, width * 2);
        AssertGradCheckPasses(p => (Attention.ScaledDotProduct(Linear.Apply(p, query), queryMask, memory, memory, keyMask, causal).Output.Values * w).sum(),
            Linear.Init(generator, width * 2, width * 2, Cpu));
        AssertGradCheckPasses(p => (AdditiveAttention.Apply(p, query, queryMask, memory, keyMask, causal).Output.Values * w).sum(),
            AdditiveAttention.Init(generator, width * 2, width * 2, 3, Cpu));
        AssertGradCheckPasses(p => (MultiHeadAttention.Apply(p, query, queryMask, memory, keyMask, causal).Output.Values * w).sum(),
            MultiHeadAttention.Init(generator, width * 2, 2, Cpu));
    }

    [Fact]
    public void Attention_refuses_bad_masks_and_widths()
    {
        using var scope = torch.NewDisposeScope();
        var p = MultiHeadAttention.Init(Rng(0), 4, 2, Cpu);
        var x = torch.zeros(2, 3, 4);
        var mask = torch.ones([2, 3], dtype: torch.@bool);
        Assert.Throws<LayerInputException>(() => MultiHeadAttention.Apply(p, x, torch.ones(2, 3), x, mask, false));
        Assert.Throws<LayerInputException>(() => MultiHeadAttention.Apply(p, x, mask, torch.zeros(2, 3, 5), mask, false));
        Assert.Throws<LayerInputException>(() => Attention.ScaledDotProduct(x, mask, x, x, torch.ones([2, 4], dtype: torch.@bool), false));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiHeadAttention.Init(Rng(0), 5, 2, Cpu));
        Assert.Throws<ArgumentOutOfRangeException>(() => p with { Heads = 0 });
    }
}
