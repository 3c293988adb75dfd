using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// Attention of heads q [batch, heads, queries, d] over k, v [batch, heads, keys, d|dv] under a Bool mask
/// [batch, queries, keys], on libtorch's fused <c>scaled_dot_product_attention</c>.
/// </summary>
public static class MaskedSdpa
{
    /// <summary>
    /// softmax(q·kᵀ/√d, over the keys <paramref name="allowed"/> lets each query see)·v: [batch, heads, queries, dv]. A
    /// query that may see no key gives zeros with zero gradient, never NaN. Without dropout (evaluation or rate 0) this
    /// is one fused call; dropout on the attention weights (training, rate above 0) draws its mask from
    /// <paramref name="generator"/> (one float32 <c>rand</c> of the weights' shape, as <see cref="Dropout.Apply"/>), so the
    /// weights are computed explicitly.
    /// </summary>
    /// <remarks>
    /// The caller must make the hidden keys and values finite (zero them): libtorch adds −∞ to hidden scores, and
    /// −∞ + NaN is NaN. A row that sees nothing is given an all-true mask row for the fused call (so its softmax is
    /// finite) and its output is then zeroed; the zero fill also stops its gradient. Shapes are not checked here: the
    /// layers that call this check theirs. Pure.
    /// </remarks>
    public static Tensor Apply(Tensor q, Tensor k, Tensor v, Tensor allowed, double dropout, bool training, Generator generator)
    {
        using var scope = NewDisposeScope();
        var blind = allowed.any(-1).logical_not();                    // [batch, queries]
        var anyBlind = blind.any().item<bool>();
        // Usually every query sees a key: then the mask is used as it is and nothing is filled afterwards.
        var safe = anyBlind ? allowed.logical_or(blind.unsqueeze(-1)) : allowed;
        Tensor output;
        if (training && dropout > 0)
        {
            // Written out, because the fused kernel's dropout draws from torch's global generator. Hidden scores are −∞
            // (every row has a visible one), so their weight is exactly 0 and so is their gradient. The dropout mask is
            // one float32 rand of the weights' shape from the generator (kept where the draw is at least the rate); the
            // 1/(1 − rate) scale is applied to the (smaller) weighted sum.
            using var inverseScale = (1 / Math.Sqrt(q.shape[^1])).ToScalar();
            using var minusInfinity = double.NegativeInfinity.ToScalar();
            using var keptScale = (1 / (1 - dropout)).ToScalar();
            var scores = q.mul(inverseScale).matmul(k.transpose(-2, -1)).masked_fill(safe.logical_not().unsqueeze(1), minusInfinity);
            var weights = scores.softmax(-1);
            // The mask as 0/1 factors: the weights are finite and non-negative, so the product equals the masked fill.
            var kept = Dropout.Factors(weights.shape, dropout, 1, weights.dtype, weights.device, generator);
            output = weights.mul(kept).matmul(v).mul(keptScale);
        }
        else
        {
            output = nn.functional.scaled_dot_product_attention(q, k, v, safe.unsqueeze(1));
        }
        if (!anyBlind) return output.MoveToOuterDisposeScope();
        return output.masked_fill(blind.unsqueeze(1).unsqueeze(-1), Scalars.Zero).MoveToOuterDisposeScope();
    }
}
