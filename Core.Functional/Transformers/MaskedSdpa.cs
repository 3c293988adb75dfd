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
    /// <paramref name="generator"/> with <see cref="Dropout.Apply"/>, so the weights are computed explicitly.
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
        Tensor output;
        if (training && dropout > 0)
        {
            using var scale = Math.Sqrt(q.shape[^1]).ToScalar();
            var scores = q.matmul(k.transpose(-2, -1)).div(scale);
            var weights = Masks.Softmax(scores, allowed.unsqueeze(1), -1);
            output = Dropout.Apply(weights, dropout, training, generator).matmul(v);
        }
        else
        {
            // Usually every query sees a key: then the mask goes to the kernel as it is and nothing is filled afterwards.
            if (!blind.any().item<bool>())
                return nn.functional.scaled_dot_product_attention(q, k, v, allowed.unsqueeze(1)).MoveToOuterDisposeScope();
            var safe = allowed.logical_or(blind.unsqueeze(-1));
            output = nn.functional.scaled_dot_product_attention(q, k, v, safe.unsqueeze(1));
        }
        return output.masked_fill(blind.unsqueeze(1).unsqueeze(-1), Scalars.Zero).MoveToOuterDisposeScope();
    }
}
