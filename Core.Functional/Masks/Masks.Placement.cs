using static TorchSharp.torch;

namespace Functional.Core;

// Masks: putting rows computed on the real positions only back into a padded sequence (the inverse of RealRows).
public static partial class Masks
{
    /// <summary>
    /// The inverse of <see cref="RealRows"/>: <paramref name="rows"/> [count, ...], one per real position of
    /// <paramref name="mask"/> [batch, length] in its order, placed into a fresh [batch, length, ...] tensor of the
    /// rows' dtype whose padded positions are zeros. So <c>RealRows(PlaceRealRows(rows, mask), mask)</c> equals
    /// <c>rows</c>, and the gradient of each row is the gradient at its position.
    /// </summary>
    /// <exception cref="ArgumentException">The mask is not a Bool [batch, length] tensor on the rows' device, or the rows are not one per real position.</exception>
    public static Tensor PlaceRealRows(Tensor rows, Tensor mask)
    {
        CheckMask(nameof(PlaceRealRows), mask);
        using var positions = RealPositions(mask);
        if (rows.dim() < 1 || rows.shape[0] != positions.shape[0]
            || rows.device.type != mask.device.type || rows.device.index != mask.device.index)
            throw new ArgumentException(
                $"Masks.PlaceRealRows needs one row per real position of the mask {Shapes.Describe(mask)} ({positions.shape[0]} rows [{positions.shape[0]}, ...]) on its device, got {Shapes.Describe(rows)}.",
                nameof(rows));
        long[] trailing = [.. rows.shape.Skip(1)];
        using var empty = zeros([mask.shape[0] * mask.shape[1], .. trailing], dtype: rows.dtype, device: rows.device);
        using var placed = empty.index_copy(0, positions, rows);
        return placed.reshape([mask.shape[0], mask.shape[1], .. trailing]);
    }
}
