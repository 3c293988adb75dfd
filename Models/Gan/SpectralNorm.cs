using TorchSharp;
using Functional.Core;

namespace Functional.Models.Gan;

/// <summary>
/// Spectral normalisation of one weight matrix [outputs, inputs] (Miyato et al. 2018, as PyTorch's
/// <c>spectral_norm</c>): the weight divided by an estimate of its largest singular value σ, kept up to date by one
/// power iteration per step. The left singular vector estimate <c>u</c> [outputs] is state, not a parameter: it is
/// advanced without gradients and the caller carries it from step to step.
/// </summary>
public static class SpectralNorm
{
    const double Epsilon = 1e-12;

    /// <summary>A starting vector for <paramref name="weight"/>: a random unit vector refined by <paramref name="iterations"/> power iterations.</summary>
    public static torch.Tensor InitVector(torch.Generator generator, torch.Tensor weight, int iterations)
    {
        using var scope = torch.NewDisposeScope();
        var u = Unit(torch.randn([weight.shape[0]], dtype: weight.dtype, device: weight.device, generator: generator));
        for (var i = 0; i < iterations; i++) u = Iterate(weight, u);
        return u.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One power iteration, without gradients: <c>v = normalize(Wᵀu)</c>, returns <c>normalize(W v)</c>. Pure: a fresh
    /// tensor; <paramref name="weight"/> and <paramref name="u"/> are untouched.
    /// </summary>
    public static torch.Tensor Iterate(torch.Tensor weight, torch.Tensor u)
    {
        using var noGradient = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var v = Unit(weight.t().mv(u));
        return Unit(weight.mv(v)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// σ = uᵀ W v with <c>v = normalize(Wᵀu)</c>; u and v are constants, so the gradient flows into the weight only
    /// (as in PyTorch). A 0-dimensional tensor.
    /// </summary>
    public static torch.Tensor Sigma(torch.Tensor weight, torch.Tensor u)
    {
        torch.Tensor v;
        using (torch.no_grad()) v = Unit(weight.t().mv(u));
        return u.dot(weight.mv(v));
    }

    /// <summary>The normalised weight <c>W / σ</c> (see <see cref="Sigma"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="u"/> is not a vector of the weight's output count.</exception>
    public static torch.Tensor Normalize(torch.Tensor weight, torch.Tensor u)
    {
        if (weight.dim() != 2 || u.dim() != 1 || u.shape[0] != weight.shape[0])
            throw new ArgumentException($"Spectral normalisation needs a weight [outputs, inputs] and a vector [outputs]; got weight {Core.Shapes.Describe(weight)} and vector {Core.Shapes.Describe(u)}.", nameof(u));
        return weight / Sigma(weight, u);
    }

    static torch.Tensor Unit(torch.Tensor x) => torch.nn.functional.normalize(x, p: 2, dim: 0, eps: Epsilon);
}
