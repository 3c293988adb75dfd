using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The real tokens of a [batch, length] mask packed into rows: the position-wise parts of a transformer block (norms,
/// projections, feed-forward layer, residuals, dropout) run on [real tokens, features] instead of [batch, length,
/// features], so padding costs no arithmetic there, and only attention sees the padded layout.
/// </summary>
/// <remarks>
/// <see cref="Pack"/> gathers the real rows (in mask order) and never reads a padded one, so padded content (even NaN)
/// reaches nothing and gets gradient exactly 0; <see cref="Unpack"/> scatters rows back into exact zeros. When every token
/// is real both are reshapes (no copy). The index tensor belongs to the caller's dispose scope.
/// </remarks>
internal sealed class PackedTokens
{
    readonly Tensor? rows; // Int64 [count] flat indices of the real tokens; null when every token is real

    PackedTokens(long batch, long length, long count, Tensor? rows) => (Batch, Length, Count, this.rows) = (batch, length, count, rows);

    /// <summary>The batch size of the padded layout.</summary>
    public long Batch { get; }

    /// <summary>The length of the padded layout.</summary>
    public long Length { get; }

    /// <summary>The number of real tokens (rows of a packed tensor).</summary>
    public long Count { get; }

    /// <summary>The real tokens of <paramref name="mask"/> Bool [batch, length] (one host synchronization: their count).</summary>
    public static PackedTokens Of(Tensor mask)
    {
        var (batch, length) = (mask.shape[0], mask.shape[1]);
        using var flat = mask.reshape(-1);
        var rows = flat.nonzero().reshape(-1);
        var count = rows.shape[0];
        if (count != batch * length) return new(batch, length, count, rows);
        rows.Dispose();
        return new(batch, length, count, null);
    }

    /// <summary>[count, features]: the real rows of <paramref name="x"/> [batch, length, features]. Pure.</summary>
    public Tensor Pack(Tensor x)
    {
        var all = x.reshape(Batch * Length, x.shape[^1]);
        if (rows is null) return all;
        using (all) return all.index_select(0, rows);
    }

    /// <summary>[batch, length, features]: <paramref name="packed"/> [count, features] at the real tokens, exact zeros elsewhere. Pure.</summary>
    public Tensor Unpack(Tensor packed)
    {
        var features = packed.shape[^1];
        if (rows is null) return packed.reshape(Batch, Length, features);
        using var empty = zeros([Batch * Length, features], dtype: packed.dtype, device: packed.device);
        using var filled = empty.index_copy(0, rows, packed);
        return filled.view(Batch, Length, features);
    }

    /// <summary>
    /// Dropout of <paramref name="packed"/> [count, features] with the masks <see cref="Dropout.ApplyToFinite"/> draws for the
    /// whole [batch, length, features] layout (the same generator advance and the same masks at real tokens as on the
    /// padded layout). Pure.
    /// </summary>
    public Tensor Drop(Tensor packed, double rate, bool training, Generator generator)
    {
        if (!training || rate == 0) return packed;
        if (!(rate > 0 && rate < 1))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"The dropout rate must be in [0, 1), got {rate}.");
        using var factors = Dropout.Factors([Batch, Length, packed.shape[^1]], rate, 1 / (1 - rate), packed.dtype, packed.device, generator);
        using var real = Pack(factors);
        return packed.mul(real);
    }
}
