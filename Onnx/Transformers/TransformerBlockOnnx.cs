using Functional.Core;

namespace Functional.Onnx;

/// <summary>
/// The ONNX graph of <see cref="TransformerBlock.Apply"/> and <see cref="TransformerBlock.Step"/> at inference (every
/// dropout is the identity, so none is written): pre-norm <c>h = x + attn(norm1(x)); h + ff(norm2(h))</c> or post-norm
/// <c>h = norm1(x + attn(x)); norm2(h + ff(h))</c>, the feed-forward layer <c>linear2(act(linear1(x)))</c> or, with a
/// gate, SwiGLU <c>linear2(silu(gate(x)) ⊙ linear1(x))</c>; padded tokens zeroed on the way in and out.
/// </summary>
/// <remarks>
/// Initializers under the block's tree path: <c>self_attn/…</c> (<see cref="TransformerAttentionOnnx"/>),
/// <c>linear1/…</c>, <c>linear2/…</c>, <c>gate/…</c>, <c>norm1/…</c>, <c>norm2/…</c>.
/// </remarks>
public static class TransformerBlockOnnx
{
    /// <summary>
    /// Adds the block at <paramref name="path"/> over <paramref name="x"/> [batch, length, model] with Bool
    /// <paramref name="mask"/> [batch, length], <paramref name="allowed"/> [batch, length, length] and int64
    /// <paramref name="positions"/> [batch, length] (null without rotary); returns [batch, length, model].
    /// </summary>
    public static string Export(OnnxGraph graph, string path, TransformerBlockParams parameters, string x, string mask, string allowed, string? positions) =>
        Run(graph, path, parameters, x, mask, allowed, positions, null).Output;

    /// <summary>
    /// Adds one cached step of the block at <paramref name="path"/> (see <see cref="TransformerAttentionOnnx.Step"/>):
    /// the new tokens' output and the attention's extended cache.
    /// </summary>
    public static OnnxTransformerStep Step(OnnxGraph graph, string path, TransformerBlockParams parameters, string x, string mask, string allowed, string? positions, OnnxKvCache cache) =>
        Run(graph, path, parameters, x, mask, allowed, positions, cache);

    static OnnxTransformerStep Run(OnnxGraph graph, string path, TransformerBlockParams p, string x, string mask, string allowed, string? positions, OnnxKvCache? cache)
    {
        var input = MasksOnnx.ZeroPadding(graph, $"{path}/InputPadding", x, mask, 3);
        OnnxTransformerStep? attended = null;
        string Attend(string h)
        {
            attended = cache is null
                ? new OnnxTransformerStep(TransformerAttentionOnnx.Self(graph, $"{path}/self_attn", p.SelfAttn, h, mask, allowed, positions), null)
                : TransformerAttentionOnnx.Step(graph, $"{path}/self_attn", p.SelfAttn, h, mask, allowed, positions, cache);
            return attended.Output;
        }
        string output;
        if (p.Settings.NormFirst)
        {
            var h = graph.Node("Add", $"{path}/AttentionResidual", [input, Attend(LayerNormOnnx.Export(graph, $"{path}/norm1", p.Norm1, input))]);
            output = graph.Node("Add", $"{path}/FeedForwardResidual", [h, FeedForward(graph, path, p, LayerNormOnnx.Export(graph, $"{path}/norm2", p.Norm2, h))]);
        }
        else
        {
            var h = LayerNormOnnx.Export(graph, $"{path}/norm1", p.Norm1, graph.Node("Add", $"{path}/AttentionResidual", [input, Attend(input)]));
            output = LayerNormOnnx.Export(graph, $"{path}/norm2", p.Norm2, graph.Node("Add", $"{path}/FeedForwardResidual", [h, FeedForward(graph, path, p, h)]));
        }
        return new OnnxTransformerStep(MasksOnnx.ZeroPadding(graph, $"{path}/OutputPadding", output, mask, 3), attended!.Cache);
    }

    static string FeedForward(OnnxGraph graph, string path, TransformerBlockParams p, string x)
    {
        var up = LinearOnnx.Export(graph, $"{path}/linear1", p.Linear1, x);
        var hidden = p.Gate is null
            ? ActivationsOnnx.Export(graph, $"{path}/activation", p.Settings.Activation, up)
            : SwiGluOnnx.Gated(graph, $"{path}/gate", LinearOnnx.Export(graph, $"{path}/gate", p.Gate, x), up);
        return LinearOnnx.Export(graph, $"{path}/linear2", p.Linear2, hidden);
    }
}
