using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>Incremental decoding with the KV cache equals the full pass, and the cache is a value beam search can reorder.</summary>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class CacheLawTests
{
    /// <summary>
    /// A 2-block stack over random rows, run once whole and once in random chunks from an empty cache: equal at every
    /// position (padded ones are zeros in both). Causal masks with holes, or prefix-LM rows (source, target, padding) whose
    /// first chunk holds the longest source, as UniLM decoding runs; rotary embeddings in either layout or none.
    /// </summary>
    [Property(MaxTest = 150)]
    public void Cached_steps_equal_the_full_pass(Batch batch, Dim length, Dim headHalf, Dim heads, bool prefixLm, bool normFirst, bool swiGlu, int rotary, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var (h, d, L) = (Math.Min((int)heads, 3), 2 * (int)headHalf, (long)length + 2);
        RotarySettings? settings = (Math.Abs(rotary) % 3) switch { 0 => null, 1 => RotarySettings.Default, _ => RotarySettings.Default with { Layout = RotaryLayout.Interleaved } };
        var stack = ToDouble(TransformerStack.Init(generator, 2, h * d, h, 5, swiGlu, settings, NoDropout with { NormFirst = normFirst }, finalNorm: normFirst, Cpu));
        var x = Normal64(generator, batch, L, h * d);
        torch.Tensor mask, allowed;
        long firstChunk = 1;
        if (prefixLm)
        {
            var sources = new long[batch];
            var targets = new long[batch];
            for (var b = 0; b < batch; b++)
            {
                sources[b] = torch.randint(0, L + 1, [1], generator: generator).item<long>();
                targets[b] = torch.randint(0, L - sources[b] + 1, [1], generator: generator).item<long>();
            }
            mask = Masks.FromLengths(torch.tensor(sources.Zip(targets, (s, t) => s + t).ToArray()), L);
            allowed = AttentionMasks.PrefixLm(torch.tensor(sources), torch.tensor(targets), L);
            firstChunk = Math.Max(1, sources.Max());
        }
        else
        {
            using var keep = 0.7.ToScalar();
            mask = torch.rand([batch, L], generator: generator).lt(keep);
            allowed = CausalFor(mask);
        }
        var positions = Positions(batch, L);
        var full = TransformerStack.Apply(stack, new MaskedSequence(x, mask), allowed, positions, false, generator);

        var cache = TransformerStackCache.Empty(stack, batch);
        var pieces = new List<torch.Tensor>();
        for (long offset = 0; offset < L;)
        {
            var n = offset == 0 ? firstChunk : torch.randint(1, L - offset + 1, [1], generator: generator).item<long>();
            var piece = new MaskedSequence(x[.., (int)offset..(int)(offset + n)], mask[.., (int)offset..(int)(offset + n)]);
            var step = TransformerStack.Step(stack, piece, allowed[.., (int)offset..(int)(offset + n), ..(int)(offset + n)], positions[.., (int)offset..(int)(offset + n)], cache, offset, false, generator);
            Assert.Equal(offset + n, step.Cache.Length);
            pieces.Add(step.Output.Values);
            cache = step.Cache;
            offset += n;
        }
        AssertClose(full.Values, torch.cat(pieces, 1), rtol: 1e-9, atol: 1e-10);
    }

    /// <summary>Selecting rows of a cache (reordered, duplicated) and stepping equals stepping the selected rows' own caches.</summary>
    [Property(MaxTest = 60)]
    public void Select_reorders_and_duplicates_rows_as_beam_search_needs(Batch batch, Dim length, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var stack = ToDouble(TransformerStack.Init(generator, 2, 4, 2, 6, false, RotarySettings.Default, NoDropout, true, Cpu));
        var L = (long)length + 1;
        var x = Normal64(generator, batch, L, 4);
        var mask = torch.ones([batch, L], dtype: torch.@bool);
        var positions = Positions(batch, L);
        var prefix = TransformerStack.Step(stack, new MaskedSequence(x[.., ..(int)(L - 1)], mask[.., ..(int)(L - 1)]), CausalFor(mask)[.., ..(int)(L - 1), ..(int)(L - 1)], positions[.., ..(int)(L - 1)], TransformerStackCache.Empty(stack, batch), 0, false, generator);
        var rows = torch.randint(0, batch, [batch + 2], generator: generator);
        var selected = prefix.Cache.Select(rows);
        var last = new MaskedSequence(x[.., (int)(L - 1)..].index_select(0, rows), torch.ones([batch + 2, 1], dtype: torch.@bool));
        var allowedLast = torch.ones([batch + 2, 1, L], dtype: torch.@bool);
        var stepped = TransformerStack.Step(stack, last, allowedLast, positions[.., (int)(L - 1)..].index_select(0, rows), selected, L - 1, false, generator);
        var whole = TransformerStack.Apply(stack, new MaskedSequence(x, mask), CausalFor(mask), positions, false, generator);
        AssertClose(whole.Values[.., (int)(L - 1)..].index_select(0, rows), stepped.Output.Values, rtol: 1e-9, atol: 1e-10);
    }
}
