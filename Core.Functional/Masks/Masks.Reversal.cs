using static TorchSharp.torch;

namespace Functional.Core;

// Masks: reversing the valid prefix of each row (what a backward recurrence reads).
public static partial class Masks
{
    /// <summary>
    /// Reverses the valid prefix of each row of <paramref name="values"/> [batch, length, ...]: with n real tokens in
    /// row b (a prefix mask), position t &lt; n receives position n - 1 - t and positions from n on stay where they
    /// are. Applying it twice is the identity; the mask of the result is <paramref name="mask"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not match the values' batch and length, or is not a prefix mask (reads the mask back to the host).</exception>
    public static Tensor ReverseValidPrefix(Tensor values, Tensor mask)
    {
        CheckShapes(nameof(ReverseValidPrefix), values, mask);
        using var scope = NewDisposeScope();
        var lengths = mask.sum(1, type: ScalarType.Int64);
        var prefix = FromLengths(lengths, mask.shape[1]);
        if (!prefix.eq(mask).all().item<bool>())
            throw new ArgumentException("Masks.ReverseValidPrefix needs a prefix mask (real tokens first, then padding); this mask has holes.", nameof(mask));
        var index = ReversedIndex(lengths, mask.shape[1]);
        var shape = index.shape.Concat(Enumerable.Repeat(1L, (int)values.dim() - 2)).ToArray();
        var gather = index.reshape(shape).expand(values.shape);
        return values.gather(1, gather).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// [batch, length] Int64: position t of row b is n_b - 1 - t for t &lt; n_b and t otherwise (its own inverse).
    /// </summary>
    internal static Tensor ReversedIndex(Tensor lengths, long length)
    {
        using var scope = NewDisposeScope();
        var positions = Ranges.Of(length, lengths.device).unsqueeze(0);
        var column = lengths.unsqueeze(1);
        return where(positions.lt(column), column.sub(Scalars.One).sub(positions), positions).MoveToOuterDisposeScope();
    }
}
