using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// Everything about masks in one place: making them (from lengths, from pad ids, causal), combining them, and the
/// reductions that must ignore padding (softmax, pooling, cross-entropy, accuracy, reversal of the valid prefix).
/// </summary>
/// <remarks>
/// A mask is a Bool tensor [batch, length], <c>true</c> = real token, never null. Every function here reads values
/// only at real positions: padded positions may hold anything (even NaN or infinity) without changing a result or
/// its gradient, and gradients reaching padded positions are exactly zero. Rows without a real token give zeros, never
/// NaN, in values and gradients. All functions are pure: they return fresh tensors and neither mutate nor dispose
/// their inputs. A malformed mask is an <see cref="ArgumentException"/> naming the function.
/// </remarks>
public static class Masks
{
    /// <summary>The id of padding in token sequences (masked out by <see cref="FromPadIds"/>).</summary>
    public const long PadId = 0;

    /// <summary><see cref="PadId"/> as a Scalar that lives for the process (see <see cref="Scalars"/>).</summary>
    static readonly Scalar PadIdScalar = PadId.ToScalar();

    /// <summary>The id of an unknown token: a real token, distinct from <see cref="PadId"/>.</summary>
    public const long UnknownId = 1;

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
    /// The mean over real tokens of the cross-entropy of <paramref name="logits"/> [batch, length, classes] against
    /// <paramref name="targets"/> [batch, length] (Int64 or Int32 class indices); a scalar. Targets at padded positions
    /// are ignored (they may be out of range); with no real token at all the loss is 0 with zero gradient. Only the real
    /// positions' logits are normalised (see <see cref="RealRows"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not fit, or a real target is out of range.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Tensor mask)
    {
        CheckClassification(nameof(CrossEntropy), logits, targets, mask);
        using var scope = NewDisposeScope();
        var positions = RealPositions(mask);
        var realLogits = Flatten(logits).index_select(0, positions);
        var realTargets = targets.reshape(-1).index_select(0, positions).to(ScalarType.Int64);
        var picked = realLogits.log_softmax(-1).gather(1, realTargets.unsqueeze(1));
        var count = mask.sum().to(logits.dtype).clamp_min(Scalars.One);
        return (picked.sum().neg() / count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The fraction of real tokens whose arg-max logit is the target (a scalar in the logits' dtype, no gradient);
    /// 0 when there is no real token. Shapes as <see cref="CrossEntropy"/>; only the real positions are read.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not fit, or a real target is out of range.</exception>
    public static Tensor Accuracy(Tensor logits, Tensor targets, Tensor mask)
    {
        CheckClassification(nameof(Accuracy), logits, targets, mask);
        using var scope = NewDisposeScope();
        using var noGradient = no_grad();
        var positions = RealPositions(mask);
        var predicted = Flatten(logits).index_select(0, positions).argmax(-1);
        var correct = predicted.eq(targets.reshape(-1).index_select(0, positions).to(ScalarType.Int64));
        var count = mask.sum().to(logits.dtype).clamp_min(Scalars.One);
        return (correct.sum().to(logits.dtype) / count).MoveToOuterDisposeScope();
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

    /// <summary><paramref name="values"/> with zeros at padded positions (exactly zero gradient there).</summary>
    internal static Tensor ZeroPadding(Tensor values, Tensor mask)
    {
        using var wide = Widen(mask, values.dim());
        using var hidden = wide.logical_not();
        return values.masked_fill(hidden, Scalars.Zero);
    }

    /// <summary>The flat indices (Int64 [count]) of the real positions of a [batch, length] mask, in order.</summary>
    static Tensor RealPositions(Tensor mask)
    {
        using var flat = mask.reshape(-1);
        using var nonzero = flat.nonzero();
        return nonzero.reshape(-1);
    }

    /// <summary><paramref name="values"/> [batch, length, ...] as [batch·length, ...].</summary>
    static Tensor Flatten(Tensor values) => values.reshape([values.shape[0] * values.shape[1], .. values.shape.Skip(2)]);

    /// <summary>The mask [batch, length] viewed as [batch, length, 1, ...] with <paramref name="rank"/> dimensions.</summary>
    internal static Tensor Widen(Tensor mask, long rank) =>
        mask.reshape([.. mask.shape, .. Enumerable.Repeat(1L, (int)rank - 2)]);

    static Tensor Count(Tensor mask, ScalarType dtype, long trailing)
    {
        using var count = mask.sum(1, type: dtype);
        return count.reshape([count.shape[0], .. Enumerable.Repeat(1L, (int)trailing)]);
    }

    static bool Broadcasts(long[] from, long[] to)
    {
        if (from.Length > to.Length) return false;
        for (var i = 1; i <= from.Length; i++)
            if (from[^i] != 1 && from[^i] != to[^i]) return false;
        return true;
    }

    static void CheckMask(string function, Tensor mask)
    {
        if (mask.dtype != ScalarType.Bool || mask.dim() != 2)
            throw new ArgumentException($"Masks.{function} needs a Bool mask [batch, length], got {Shapes.Describe(mask)}.", nameof(mask));
    }

    static void CheckShapes(string function, Tensor values, Tensor mask)
    {
        CheckMask(function, mask);
        if (values.dim() < 2 || values.shape[0] != mask.shape[0] || values.shape[1] != mask.shape[1]
            || values.device.type != mask.device.type || values.device.index != mask.device.index)
            throw new ArgumentException($"Masks.{function} needs values [batch, length, ...] matching the mask {Shapes.Describe(mask)}, got {Shapes.Describe(values)}.", nameof(values));
    }

    static void Check(string function, Tensor values, Tensor mask)
    {
        CheckShapes(function, values, mask);
        if (!values.is_floating_point())
            throw new ArgumentException($"Masks.{function} needs floating-point values, got {Shapes.Describe(values)}.", nameof(values));
    }

    static void CheckClassification(string function, Tensor logits, Tensor targets, Tensor mask)
    {
        Check(function, logits, mask);
        if (logits.dim() != 3)
            throw new ArgumentException($"Masks.{function} needs logits [batch, length, classes], got {Shapes.Describe(logits)}.", nameof(logits));
        if ((targets.dtype != ScalarType.Int64 && targets.dtype != ScalarType.Int32) || !targets.shape.SequenceEqual(mask.shape))
            throw new ArgumentException($"Masks.{function} needs Int64 or Int32 targets of the mask's shape {Shapes.Format(mask.shape)}, got {Shapes.Describe(targets)}.", nameof(targets));
        using var wide = targets.to(ScalarType.Int64);
        using var real = wide.masked_select(mask);
        if (real.numel() == 0) return;
        using var smallest = real.min();
        using var largest = real.max();
        long low = smallest.item<long>(), high = largest.item<long>();
        if (low < 0 || high >= logits.shape[2])
            throw new ArgumentException($"Masks.{function} needs real targets in [0, {logits.shape[2]}), got {low} to {high}.", nameof(targets));
    }
}
