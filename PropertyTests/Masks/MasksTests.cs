using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;

namespace Functional.PropertyTests.Masking;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class MasksTests
{
    static torch.Tensor NaNJunk => torch.tensor(float.NaN);

    [Property(MaxTest = 200)]
    public void FromLengths_is_true_exactly_before_each_length_and_Lengths_counts_them_back(Batch batch, Dim length, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var lengths = torch.randint(0, length + 3, [batch], generator: Rng(seed));
        var mask = Masks.FromLengths(lengths, length);
        Assert.Equal(new long[] { batch, length }, mask.shape);
        Assert.Equal(torch.@bool, mask.dtype);
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < length; t++)
                Assert.Equal(t < lengths[b].item<long>(), mask[b, t].item<bool>());
        using var cap = length.Value.ToScalar();
        Assert.True(Same.Bitwise(lengths.clamp_max(cap), Masks.Lengths(mask)), "Lengths is not the inverse of FromLengths");
    }

    [Property(MaxTest = 200)]
    public void FromPadIds_masks_only_the_pad_id_not_the_unknown_id(Batch batch, Dim length, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var ids = torch.randint(0, 4, [batch, length], generator: Rng(seed));
        var mask = Masks.FromPadIds(ids);
        var fromInt32 = Masks.FromPadIds(ids.to(torch.int32));
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < length; t++)
            {
                var id = ids[b, t].item<long>();
                Assert.Equal(id != Masks.PadId, mask[b, t].item<bool>());
                Assert.Equal(id != Masks.PadId, fromInt32[b, t].item<bool>());
            }
        Assert.Equal(0L, Masks.PadId);
        Assert.NotEqual(Masks.PadId, Masks.UnknownId);
        Assert.True(Masks.FromPadIds(torch.tensor(new long[,] { { Masks.UnknownId } })).item<bool>());
    }

    [Property(MaxTest = 100)]
    public void Causal_lets_query_i_see_keys_up_to_i_and_And_is_elementwise(Dim queries, Dim keys, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var causal = Masks.Causal(queries, keys, Cpu);
        Assert.Equal(new long[] { queries, keys }, causal.shape);
        for (var i = 0; i < queries; i++)
            for (var j = 0; j < keys; j++)
                Assert.Equal(j <= i, causal[i, j].item<bool>());
        var generator = Rng(seed);
        var a = RandomMask(generator, queries, keys, holes: true);
        var b = RandomMask(generator, queries, keys, holes: true);
        var both = Masks.And(a, b);
        for (var i = 0; i < queries; i++)
            for (var j = 0; j < keys; j++)
                Assert.Equal(a[i, j].item<bool>() && b[i, j].item<bool>(), both[i, j].item<bool>());
        Assert.Throws<ArgumentException>(() => Masks.And(a, b.to(torch.int64)));
        Assert.Throws<ArgumentException>(() => Masks.And(a, torch.ones([queries, keys + 1], dtype: torch.@bool)));
    }

    [Property(MaxTest = 200)]
    public void Softmax_sums_to_one_over_real_positions_is_zero_elsewhere_and_ignores_padding_content(Batch batch, Dim length, bool holes, bool emptyRow, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow);
        using var five = 5.ToScalar();
        var scores = Normal(generator, batch, length).mul(five);
        var weights = Masks.Softmax(scores, mask, -1);
        var withJunk = Masks.Softmax(WithJunk(scores.unsqueeze(-1), mask, NaNJunk).squeeze(-1), mask, -1);

        Assert.True(Same.Bitwise(weights, withJunk), "padding content changed the weights");
        AssertFinite(weights, "weights");
        AssertZero(weights.masked_select(mask.logical_not()), "weights at padded positions");
        for (var b = 0; b < batch; b++)
        {
            var real = scores[b].masked_select(mask[b]);
            var total = weights[b].sum().item<float>();
            if (real.numel() == 0) { Assert.Equal(0f, total); continue; }
            Assert.InRange(total, 1 - 1e-5, 1 + 1e-5);
            AssertClose(real.softmax(0), weights[b].masked_select(mask[b]));
        }
    }

    [Property(MaxTest = 100)]
    public void Softmax_gradient_is_finite_and_zero_at_padded_positions_even_for_all_padding_rows(Batch batch, Dim length, bool holes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow: true);
        using var five = 5.ToScalar();
        var scores = Normal(generator, batch, length).mul(five).requires_grad_(true);
        var loss = (Masks.Softmax(scores, mask, -1) * Normal(generator, batch, length)).sum();
        var gradient = torch.autograd.grad([loss], [scores])[0];
        AssertFinite(gradient, "gradient");
        AssertZero(gradient.masked_select(mask.logical_not()), "gradient at padded positions");
    }

    [Property(MaxTest = 100)]
    public void Softmax_broadcasts_a_key_mask_over_queries_and_refuses_bad_masks(Batch batch, Dim queries, Dim keys, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, keys, holes: true);
        var scores = Normal(generator, batch, queries, keys);
        var weights = Masks.Softmax(scores, mask.unsqueeze(1), -1);
        for (var q = 0; q < queries; q++)
            Assert.True(Same.Bitwise(Masks.Softmax(scores[.., q], mask, -1), weights[.., q]));
        Assert.Throws<ArgumentException>(() => Masks.Softmax(scores, mask.to(torch.float32).unsqueeze(1), -1));
        Assert.Throws<ArgumentException>(() => Masks.Softmax(scores, torch.ones([batch, keys + 1], dtype: torch.@bool), -1));
    }

    [Property(MaxTest = 200)]
    public void Pooling_agrees_with_each_row_unpadded_ignores_padding_and_gives_zeros_for_empty_rows(Batch batch, Dim length, Dim features, bool holes, bool emptyRow, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow);
        var values = Normal(generator, batch, length, features);
        var junk = WithJunk(values, mask, torch.tensor(float.NaN));
        foreach (var (name, pool, reference) in new (string, Func<torch.Tensor, torch.Tensor, torch.Tensor>, Func<torch.Tensor, torch.Tensor>)[]
        {
            ("sum", Masks.Sum, r => r.sum([0L])),
            ("mean", Masks.Mean, r => r.mean([0])),
            ("max", Masks.Max, r => r.amax([0])),
        })
        {
            var pooled = pool(values, mask);
            Assert.Equal(new long[] { batch, features }, pooled.shape);
            Assert.True(Same.Bitwise(pooled, pool(junk, mask)), $"{name}: padding content changed the result");
            for (var b = 0; b < batch; b++)
            {
                var real = RealOf(values, mask, b);
                if (real.shape[0] == 0) AssertZero(pooled[b], $"{name} of an all-padding row");
                else AssertClose(reference(real), pooled[b]);
            }
        }
    }

    [Property(MaxTest = 100)]
    public void Pooling_gradients_are_finite_and_zero_at_padded_positions(Batch batch, Dim length, Dim features, bool holes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow: true);
        foreach (var pool in new Func<torch.Tensor, torch.Tensor, torch.Tensor>[] { Masks.Sum, Masks.Mean, Masks.Max })
        {
            var values = Normal(generator, batch, length, features).requires_grad_(true);
            var loss = (pool(values, mask) * Normal(generator, batch, features)).sum();
            var gradient = torch.autograd.grad([loss], [values])[0];
            AssertFinite(gradient, "gradient");
            AssertZero(gradient.masked_select(Widen(mask, 3).logical_not().expand(gradient.shape)), "gradient at padded positions");
        }
    }

    [Property(MaxTest = 100)]
    public void RealRows_are_the_real_positions_in_order_and_padding_gets_no_gradient(Batch batch, Dim length, Dim features, bool holes, bool emptyRow, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow);
        var values = Normal(generator, batch, length, features).requires_grad_(true);
        var rows = Masks.RealRows(WithJunk(values, mask, NaNJunk), mask);
        var expected = new List<torch.Tensor>();
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < length; t++)
                if (mask[b, t].item<bool>()) expected.Add(values[b, t]);
        Assert.Equal(new long[] { expected.Count, features }, rows.shape);
        if (expected.Count > 0) Assert.True(Same.Bitwise(torch.stack(expected).detach(), rows.detach()), "RealRows differs from the real positions in order");
        var weights = Normal(generator, expected.Count, features);
        var gradient = torch.autograd.grad([(Masks.RealRows(values, mask) * weights).sum()], [values], allow_unused: true)[0];
        if (expected.Count == 0) return;
        AssertZero(gradient.index(mask.logical_not()), "gradient at padded positions");
        Assert.True(Same.Bitwise(weights, gradient.index(mask)), "the gradient at real positions is not the weights");
    }

    [Property(MaxTest = 200)]
    public void CrossEntropy_and_Accuracy_are_means_over_real_tokens_only(Batch batch, Dim length, Dim classes, bool holes, bool emptyRow, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow);
        using var three = 3.ToScalar();
        var logits = Normal(generator, batch, length, classes).mul(three);
        var targets = torch.randint(0, classes, [batch, length], generator: generator);
        var junkTargets = torch.where(mask, targets, torch.tensor(-7L));
        var loss = Masks.CrossEntropy(WithJunk(logits, mask, torch.tensor(float.NaN)), junkTargets, mask);
        var accuracy = Masks.Accuracy(logits, junkTargets.to(torch.int32), mask);

        var realLogits = logits.index(mask);
        var realTargets = targets.masked_select(mask);
        if (realTargets.numel() == 0)
        {
            Assert.Equal(0f, loss.item<float>());
            Assert.Equal(0f, accuracy.item<float>());
            return;
        }
        AssertClose(torch.nn.functional.cross_entropy(realLogits, realTargets), loss, atol: 1e-5);
        var expected = realLogits.argmax(-1).eq(realTargets).to(torch.float32).mean();
        AssertClose(expected, accuracy);
    }

    [Property(MaxTest = 100)]
    public void CrossEntropy_gradient_is_finite_and_zero_at_padded_positions_and_out_of_range_real_targets_are_refused(Batch batch, Dim length, Dim classes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes: true, emptyRow: true);
        var logits = Normal(generator, batch, length, classes).requires_grad_(true);
        var targets = torch.randint(0, classes, [batch, length], generator: generator);
        var gradient = torch.autograd.grad([Masks.CrossEntropy(logits, targets, mask)], [logits])[0];
        AssertFinite(gradient, "gradient");
        AssertZero(gradient.index(mask.logical_not()), "gradient at padded positions");
        var bad = torch.where(mask, torch.tensor((long)classes), targets);
        if (mask.any().item<bool>())
            Assert.Throws<ArgumentException>(() => Masks.CrossEntropy(logits, bad, mask));
    }

    [Property(MaxTest = 200)]
    public void ReverseValidPrefix_twice_is_the_identity_and_reverses_each_row_unpadded(Batch batch, Dim length, Dim features, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes: false);
        var values = Normal(generator, batch, length, features);
        var reversed = Masks.ReverseValidPrefix(values, mask);
        Assert.True(Same.Bitwise(values, Masks.ReverseValidPrefix(reversed, mask)));
        for (var b = 0; b < batch; b++)
        {
            var n = mask[b].sum().item<long>();
            Assert.True(Same.Bitwise(values[b, ..(int)n].flip(0), reversed[b, ..(int)n]), $"row {b} prefix");
            Assert.True(Same.Bitwise(values[b, (int)n..], reversed[b, (int)n..]), $"row {b} padding");
        }
    }

    [Fact]
    public void ReverseValidPrefix_refuses_masks_with_holes()
    {
        using var scope = torch.NewDisposeScope();
        var mask = torch.tensor(new[,] { { true, false, true } });
        Assert.Throws<ArgumentException>(() => Masks.ReverseValidPrefix(torch.zeros(1, 3, 2), mask));
    }

    [Property(MaxTest = 50)]
    public void GradCheck_passes_for_softmax_pooling_and_cross_entropy(Batch batch, Dim length, Dim features, bool holes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow: true);
        var x = Normal64(generator, batch, length, features);
        var w = Normal64(generator, batch, length, features);
        var targets = torch.randint(0, features, [batch, length], generator: generator);
        var pooledWeights = Normal64(generator, batch, features);
        AssertGradCheckPasses(p => (Masks.Softmax(p, mask.unsqueeze(-1), 1) * w).sum(), x);
        AssertGradCheckPasses(p => (Masks.Mean(p, mask) * pooledWeights).sum().add((Masks.Sum(p, mask) * pooledWeights).sum(), Scalars.One), x);
        AssertGradCheckPasses(p => (Masks.Max(p, mask) * pooledWeights).sum(), x);
        AssertGradCheckPasses(p => Masks.CrossEntropy(p, targets, mask), x);
    }
}
