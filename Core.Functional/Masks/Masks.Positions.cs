using static TorchSharp.torch;

namespace Functional.Core;

// Masks: the internal helpers that address real and padded positions (zeroing padding, widening a mask, flat indices).
public static partial class Masks
{
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
}
