using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The masks attention takes as values: Bool [batch, query, key], <c>true</c> = the query may attend to the key. Built
/// from lengths and sequence masks, never inferred; combined with <see cref="Combine"/>.
/// </summary>
/// <remarks>
/// Whatever mask a caller gives, <see cref="TransformerAttention"/> also hides padded keys and padded queries, so a mask
/// built here only has to say what real tokens may see. All functions are pure and return fresh tensors.
/// </remarks>
public static class AttentionMasks
{
    /// <summary>
    /// [batch, queries, keys]: a real query (<paramref name="queryMask"/> [batch, queries]) may see every real key
    /// (<paramref name="keyMask"/> [batch, keys]) — the key-padding mask of bidirectional attention.
    /// </summary>
    /// <exception cref="ArgumentException">A mask is not Bool [batch, length], or the batches or devices differ.</exception>
    public static Tensor Padding(Tensor queryMask, Tensor keyMask)
    {
        CheckSequenceMask(nameof(Padding), queryMask, nameof(queryMask));
        CheckSequenceMask(nameof(Padding), keyMask, nameof(keyMask));
        if (queryMask.shape[0] != keyMask.shape[0] || !SameDevice(queryMask, keyMask))
            throw new ArgumentException($"AttentionMasks.Padding needs masks of one batch on one device, got {Shapes.Describe(queryMask)} and {Shapes.Describe(keyMask)}.");
        using var rows = queryMask.unsqueeze(2);
        using var columns = keyMask.unsqueeze(1);
        return rows.logical_and(columns);
    }

    /// <summary>
    /// [batch, queries, keys]: query i (at absolute slot <paramref name="offset"/> + i) may see key j exactly when
    /// j ≤ offset + i. With offset 0 and queries = keys this is the usual lower triangle; a cached step of n new tokens
    /// after t cached ones uses offset t and keys t + n.
    /// </summary>
    /// <exception cref="ArgumentException">A size or the offset is negative.</exception>
    public static Tensor Causal(long batch, long queries, long keys, long offset, Device device)
    {
        if (batch < 0 || queries < 0 || keys < 0 || offset < 0)
            throw new ArgumentException($"AttentionMasks.Causal needs sizes and an offset of at least 0, got batch {batch}, queries {queries}, keys {keys}, offset {offset}.");
        using var scope = NewDisposeScope();
        using var start = offset.ToScalar();
        var rows = Ranges.Of(queries, device).add(start, Scalars.One).unsqueeze(1);
        var columns = Ranges.Of(keys, device).unsqueeze(0);
        return columns.le(rows).unsqueeze(0).expand(batch, queries, keys).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The prefix-LM (UniLM seq2seq) mask [batch, length, length] of rows laid out as "source, target, padding": row b
    /// holds <paramref name="sourceLengths"/>[b] source tokens, then <paramref name="targetLengths"/>[b] target tokens,
    /// then padding up to <paramref name="length"/>. A source token sees every source token (both ways); a target token
    /// sees every source token and the target tokens up to itself; nothing sees padding and padding sees nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths are not integer [batch] tensors on one device, a length is negative, or a row is longer than <paramref name="length"/>.</exception>
    public static Tensor PrefixLm(Tensor sourceLengths, Tensor targetLengths, long length)
    {
        foreach (var (lengths, name) in new[] { (sourceLengths, nameof(sourceLengths)), (targetLengths, nameof(targetLengths)) })
            if (lengths.dim() != 1 || lengths.is_floating_point() || lengths.dtype == ScalarType.Bool)
                throw new ArgumentException($"AttentionMasks.PrefixLm needs integer lengths [batch], got {Shapes.Describe(lengths)}.", name);
        if (sourceLengths.shape[0] != targetLengths.shape[0] || !SameDevice(sourceLengths, targetLengths))
            throw new ArgumentException($"AttentionMasks.PrefixLm needs source and target lengths of one batch on one device, got {Shapes.Describe(sourceLengths)} and {Shapes.Describe(targetLengths)}.");
        using var scope = NewDisposeScope();
        var source = sourceLengths.to(ScalarType.Int64);
        var total = source.add(targetLengths.to(ScalarType.Int64), Scalars.One);
        if (source.numel() > 0)
        {
            var (low, high) = (Math.Min(source.min().item<long>(), targetLengths.min().item<long>()), total.max().item<long>());
            if (low < 0 || high > length)
                throw new ArgumentException($"AttentionMasks.PrefixLm needs lengths of at least 0 whose sums fit in {length} positions, got smallest {low} and longest row {high}.");
        }
        var positions = Ranges.Of(length, source.device);
        var real = positions.unsqueeze(0).lt(total.unsqueeze(1));                  // [batch, length]
        var sourceKey = positions.unsqueeze(0).lt(source.unsqueeze(1)).unsqueeze(1); // [batch, 1, key]
        var past = positions.unsqueeze(0).le(positions.unsqueeze(1)).unsqueeze(0);   // [1, query, key]
        var sees = sourceKey.logical_or(past);
        return sees.logical_and(real.unsqueeze(1)).logical_and(real.unsqueeze(2)).MoveToOuterDisposeScope();
    }

    /// <summary>True where both masks are: two Bool [batch, query, key] masks of one shape (no broadcasting).</summary>
    /// <exception cref="ArgumentException">A mask is not Bool of rank 3, or the shapes or devices differ.</exception>
    public static Tensor Combine(Tensor first, Tensor second)
    {
        if (first.dtype != ScalarType.Bool || second.dtype != ScalarType.Bool || first.dim() != 3
            || !first.shape.SequenceEqual(second.shape) || !SameDevice(first, second))
            throw new ArgumentException($"AttentionMasks.Combine needs two Bool masks [batch, query, key] of one shape on one device, got {Shapes.Describe(first)} and {Shapes.Describe(second)}.");
        return first.logical_and(second);
    }

    internal static bool SameDevice(Tensor a, Tensor b) => a.device.type == b.device.type && a.device.index == b.device.index;

    static void CheckSequenceMask(string function, Tensor mask, string name)
    {
        if (mask.dtype != ScalarType.Bool || mask.dim() != 2)
            throw new ArgumentException($"AttentionMasks.{function} needs a Bool mask [batch, length], got {Shapes.Describe(mask)}.", name);
    }
}
