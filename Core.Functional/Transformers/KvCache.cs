using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The keys and values one attention layer has seen so far, as a value: a cached step returns the next cache and the
/// caller passes it to the following step. Keys are stored after the rotary rotation (at their absolute positions).
/// </summary>
/// <param name="Keys">[batch, heads, slots, headWidth].</param>
/// <param name="Values">[batch, heads, slots, headWidth].</param>
/// <param name="Mask">[batch, slots] Bool: which slots hold real tokens (padding is never attended).</param>
public sealed record KvCache(Tensor Keys, Tensor Values, Tensor Mask)
{
    /// <summary>How many slots are filled: the offset at which the next step's tokens go.</summary>
    public long Length => Keys.shape[2];

    /// <summary>
    /// The cache of rows <paramref name="rows"/> (an Int64 [count] index into the batch, repeats allowed): what beam search
    /// needs when it reorders, duplicates or drops hypotheses. Pure: a fresh cache; this one is untouched.
    /// </summary>
    /// <exception cref="ArgumentException">The index is not an integer [count] tensor on the cache's device, or an index is outside the batch.</exception>
    public KvCache Select(Tensor rows)
    {
        if (rows.dim() != 1 || rows.is_floating_point() || rows.dtype == ScalarType.Bool || !AttentionMasks.SameDevice(rows, Keys))
            throw new ArgumentException($"KvCache.Select needs integer row indices [count] on {Keys.device}, got {Shapes.Describe(rows)}.", nameof(rows));
        if (rows.numel() > 0 && (rows.min().item<long>() < 0 || rows.max().item<long>() >= Keys.shape[0]))
            throw new ArgumentException($"KvCache.Select needs rows in [0, {Keys.shape[0]}), got {rows.min().item<long>()} to {rows.max().item<long>()}.", nameof(rows));
        using var index = rows.to(ScalarType.Int64);
        return new(Keys.index_select(0, index), Values.index_select(0, index), Mask.index_select(0, index));
    }

    /// <summary>An empty cache (no slots) for <paramref name="batch"/> rows of <paramref name="heads"/> heads of <paramref name="headWidth"/> features.</summary>
    public static KvCache Empty(long batch, long heads, long headWidth, ScalarType dtype, Device device) =>
        new(zeros([batch, heads, 0, headWidth], dtype: dtype, device: device),
            zeros([batch, heads, 0, headWidth], dtype: dtype, device: device),
            zeros([batch, 0], dtype: ScalarType.Bool, device: device));

    /// <summary>An empty cache matching <paramref name="parameters"/> for <paramref name="batch"/> rows, in the parameters' dtype and device.</summary>
    public static KvCache Empty(TransformerAttentionParams parameters, long batch) =>
        Empty(batch, parameters.Heads, parameters.InProjWeight.shape[1] / parameters.Heads, parameters.InProjWeight.dtype, parameters.InProjWeight.device);
}
