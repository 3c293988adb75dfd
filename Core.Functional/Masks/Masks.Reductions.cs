using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

// Masks: the masked softmax and the reductions over real positions (sum, mean, max, the real rows, lengths).
public static partial class Masks
{
    /// <summary>
    /// The softmax of <paramref name="scores"/> along <paramref name="dimension"/> over the positions where
    /// <paramref name="mask"/> (Bool, broadcastable to the scores) is true: those sum to 1, the others are exactly 0,
    /// and a slice without a true position is all zeros (with zero gradient), never NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The scores are not floating-point, or the mask is not Bool or does not broadcast.</exception>
    public static Tensor Softmax(Tensor scores, Tensor mask, long dimension)
    {
        if (!scores.is_floating_point())
            throw new ArgumentException($"Masks.Softmax needs floating-point scores, got {Shapes.Describe(scores)}.", nameof(scores));
        if (mask.dtype != ScalarType.Bool || !Broadcasts(mask.shape, scores.shape))
            throw new ArgumentException($"Masks.Softmax needs a Bool mask broadcastable to the scores {Shapes.Describe(scores)}, got {Shapes.Describe(mask)}.", nameof(mask));
        // Hidden scores become the lowest finite value: beside any real score their weight underflows to exactly 0, and
        // a slice without a real position gets a finite uniform softmax that the final fill zeroes (gradient included).
        using var hidden = mask.logical_not();
        using var lowest = finfo(scores.dtype).min.ToScalar();
        using var filled = scores.masked_fill(hidden, lowest);
        using var weights = filled.softmax(dimension);
        return weights.masked_fill(hidden, Scalars.Zero);
    }

    /// <summary>
    /// The sum over real positions: <paramref name="values"/> [batch, length, ...] and <paramref name="mask"/>
    /// [batch, length] give [batch, ...]; a row without a real token gives zeros.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not match the values' batch and length, or the values are not floating-point.</exception>
    public static Tensor Sum(Tensor values, Tensor mask)
    {
        Check(nameof(Sum), values, mask);
        using var kept = ZeroPadding(values, mask);
        return kept.sum(1);
    }

    /// <summary>
    /// The mean over real positions ([batch, length, ...] to [batch, ...]); a row without a real token gives zeros.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not match the values' batch and length, or the values are not floating-point.</exception>
    public static Tensor Mean(Tensor values, Tensor mask)
    {
        Check(nameof(Mean), values, mask);
        using var total = Sum(values, mask);
        using var count = Count(mask, values.dtype, values.dim() - 2);
        using var safe = count.clamp_min(Scalars.One);
        return total / safe;
    }

    /// <summary>
    /// The maximum over real positions ([batch, length, ...] to [batch, ...]); a row without a real token gives
    /// zeros. The gradient goes to the maximal real positions only.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not match the values' batch and length, or the values are not floating-point.</exception>
    public static Tensor Max(Tensor values, Tensor mask)
    {
        Check(nameof(Max), values, mask);
        using var scope = NewDisposeScope();
        var wide = Widen(mask, values.dim());
        var hidden = wide.logical_not();
        using var lowest = finfo(values.dtype).min.ToScalar();
        var filled = values.masked_fill(hidden, lowest);
        var maximum = filled.amax([1]);
        var anyReal = wide.any(1);
        return maximum.masked_fill(anyReal.logical_not(), Scalars.Zero).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The values at the real positions, in order (row by row, then position): <paramref name="values"/>
    /// [batch, length, ...] and <paramref name="mask"/> [batch, length] give [count, ...], where count is the number of
    /// real positions (what <c>values[mask]</c> selects). Padded positions are never read and receive exactly zero
    /// gradient. Computing a per-token quantity on these rows rather than on every position and masking it afterwards
    /// skips the padded positions' work.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not match the values' batch and length.</exception>
    public static Tensor RealRows(Tensor values, Tensor mask)
    {
        CheckShapes(nameof(RealRows), values, mask);
        using var positions = RealPositions(mask);
        using var flat = Flatten(values);
        return flat.index_select(0, positions);
    }

    /// <summary>
    /// The number of real tokens of each row ([batch], Int64).
    /// </summary>
    /// <exception cref="ArgumentException">The mask is not a Bool [batch, length] tensor.</exception>
    public static Tensor Lengths(Tensor mask)
    {
        CheckMask(nameof(Lengths), mask);
        return mask.sum(1, type: ScalarType.Int64);
    }

    static Tensor Count(Tensor mask, ScalarType dtype, long trailing)
    {
        using var count = mask.sum(1, type: dtype);
        return count.reshape([count.shape[0], .. Enumerable.Repeat(1L, (int)trailing)]);
    }
}
