using static TorchSharp.torch;

namespace Functional.Core;

// Masks: making masks (from lengths, from pad ids, causal) and combining them.
public static partial class Masks
{
    /// <summary>
    /// The prefix mask [batch, <paramref name="length"/>] whose row b is true at the first
    /// <paramref name="lengths"/>[b] positions; <paramref name="lengths"/> is an integer tensor [batch] with values in
    /// [0, length] (larger values saturate), on the device of the result.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="lengths"/> is not a rank-1 integer tensor, or <paramref name="length"/> is negative.</exception>
    public static Tensor FromLengths(Tensor lengths, long length)
    {
        if (lengths.dim() != 1 || lengths.is_floating_point() || lengths.dtype == ScalarType.Bool)
            throw new ArgumentException($"Masks.FromLengths needs integer lengths of shape [batch], got {Shapes.Describe(lengths)}.", nameof(lengths));
        if (length < 0) throw new ArgumentException($"Masks.FromLengths needs a length of at least 0, got {length}.", nameof(length));
        using var positions = Ranges.Of(length, lengths.device);
        using var wide = lengths.to(ScalarType.Int64);
        using var column = wide.unsqueeze(1);
        return positions.unsqueeze(0).lt(column);
    }

    /// <summary>
    /// The mask of token ids [batch, length] (Int64 or Int32): true wherever the id is not <see cref="PadId"/>
    /// (so <see cref="UnknownId"/> is a real token).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is not a rank-2 integer tensor.</exception>
    public static Tensor FromPadIds(Tensor ids)
    {
        if (ids.dim() != 2 || (ids.dtype != ScalarType.Int64 && ids.dtype != ScalarType.Int32))
            throw new ArgumentException($"Masks.FromPadIds needs ids of dtype Int64 or Int32 and shape [batch, length], got {Shapes.Describe(ids)}.", nameof(ids));
        return ids.ne(PadIdScalar);
    }

    /// <summary>True where both masks are true; the masks must have the same shape (no broadcasting).</summary>
    /// <exception cref="ArgumentException">A mask is not Bool or the shapes differ.</exception>
    public static Tensor And(Tensor first, Tensor second)
    {
        if (first.dtype != ScalarType.Bool || second.dtype != ScalarType.Bool || !first.shape.SequenceEqual(second.shape))
            throw new ArgumentException($"Masks.And needs two Bool masks of the same shape, got {Shapes.Describe(first)} and {Shapes.Describe(second)}.");
        return first.logical_and(second);
    }

    /// <summary>
    /// The causal mask [<paramref name="queryLength"/>, <paramref name="keyLength"/>]: query position i may see key
    /// position j exactly when j ≤ i (both counted from the start of the sequence).
    /// </summary>
    /// <exception cref="ArgumentException">A length is negative.</exception>
    public static Tensor Causal(long queryLength, long keyLength, Device device)
    {
        if (queryLength < 0 || keyLength < 0)
            throw new ArgumentException($"Masks.Causal needs lengths of at least 0, got {queryLength} and {keyLength}.");
        using var queries = Ranges.Of(queryLength, device);
        using var keys = Ranges.Of(keyLength, device);
        using var column = queries.unsqueeze(1);
        using var row = keys.unsqueeze(0);
        return row.le(column);
    }
}
