namespace Functional.Core;

/// <summary>How a <see cref="TransformerBlock"/> computes: configuration carried in its record, not leaves.</summary>
/// <param name="NormFirst">Pre-norm (<c>x + f(norm(x))</c>, the default, stable without warm-up) or post-norm (<c>norm(x + f(x))</c>, the original and PyTorch's default).</param>
/// <param name="Activation">The feed-forward activation (GELU by default; PyTorch's <c>activation="gelu"</c>); ignored by SwiGLU blocks, which use SiLU gating.</param>
/// <param name="Dropout">The rate of dropout on both residual branches and on the feed-forward hidden layer, in [0, 1).</param>
/// <param name="AttentionDropout">The rate of dropout on the attention weights, in [0, 1).</param>
/// <exception cref="ArgumentOutOfRangeException">A rate is outside [0, 1) (also through <c>with</c>).</exception>
public sealed record TransformerBlockSettings(bool NormFirst, Activation Activation, double Dropout, double AttentionDropout)
{
    readonly double dropout = Rate(Dropout, nameof(Dropout));
    readonly double attentionDropout = Rate(AttentionDropout, nameof(AttentionDropout));

    /// <summary>Pre-norm, GELU, dropout 0.1 on residuals, feed-forward and attention weights (PyTorch's rate).</summary>
    public static TransformerBlockSettings Default { get; } = new(true, Activation.Gelu, 0.1, 0.1);

    /// <summary>The residual and feed-forward dropout rate, in [0, 1).</summary>
    public double Dropout { get => dropout; init => dropout = Rate(value, nameof(Dropout)); }

    /// <summary>The attention-weight dropout rate, in [0, 1).</summary>
    public double AttentionDropout { get => attentionDropout; init => attentionDropout = Rate(value, nameof(AttentionDropout)); }

    static double Rate(double value, string name) =>
        value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"TransformerBlockSettings {name} must be in [0, 1), got {value}.");
}
