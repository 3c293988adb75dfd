using TorchSharp;

namespace Functional.Core;

/// <summary>
/// Spectral normalisation (Miyato et al. 2018), as PyTorch's <c>torch.nn.utils.spectral_norm</c> with one power
/// iteration per training step: a wrapper around any weight, whose result <c>W / σ</c> has a largest singular value
/// near 1. The weight is seen as the matrix <c>[outputs, inputs]</c> of its first dimension against all the others
/// (a convolution's <c>[out, in, k]</c> flattened to <c>[out, in·k]</c>, as PyTorch does). The vectors
/// <see cref="SpectralNormState"/> are model state: carried by the caller, advanced without gradients, never trained.
/// </summary>
/// <remarks>
/// σ = uᵀ W v with u and v constants, so the gradient reaches the weight only, through both W and σ (as in PyTorch).
/// </remarks>
public static class SpectralNorm
{
    /// <summary>Power iterations run on the starting vectors (PyTorch's 15).</summary>
    public const int InitialIterations = 15;

    /// <summary>PyTorch's default ε of the normalisation of the vectors.</summary>
    public const double Epsilon = 1e-12;

    const string Layer = nameof(SpectralNorm);

    /// <summary>
    /// Starting vectors for <paramref name="weight"/>: u and v drawn from a standard normal with
    /// <paramref name="generator"/> (u first) and normalised, then refined by <paramref name="iterations"/> power
    /// iterations (PyTorch uses <see cref="InitialIterations"/>). Fresh tensors of the weight's dtype and device; the
    /// weight is untouched.
    /// </summary>
    /// <exception cref="LayerInputException">The weight has fewer than 2 dimensions or is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iterations"/> is negative.</exception>
    public static SpectralNormState Init(torch.Generator generator, torch.Tensor weight, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        var matrix = Matrix(weight);
        var state = new SpectralNormState(
            Unit(torch.randn([matrix.shape[0]], dtype: weight.dtype, device: weight.device, generator: generator)),
            Unit(torch.randn([matrix.shape[1]], dtype: weight.dtype, device: weight.device, generator: generator)));
        for (var i = 0; i < iterations; i++) state = Iterate(weight, state);
        scope.MoveToOuter(state.U, state.V);
        return state;
    }

    /// <summary>
    /// One power iteration, without gradients: <c>v = normalize(Wᵀu)</c>, then <c>u = normalize(W v)</c>. Pure: fresh
    /// tensors; <paramref name="weight"/> and <paramref name="state"/> are untouched.
    /// </summary>
    /// <exception cref="LayerInputException">The vectors do not fit the weight; the message names both shapes.</exception>
    public static SpectralNormState Iterate(torch.Tensor weight, SpectralNormState state)
    {
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        var matrix = Checked(weight, state);
        var v = Unit(matrix.t().mv(state.U));
        var u = Unit(matrix.mv(v));
        scope.MoveToOuter(u, v);
        return new SpectralNormState(u, v);
    }

    /// <summary>
    /// The estimated largest singular value σ = uᵀ W v of <paramref name="weight"/> from the vectors as given; a
    /// 0-dimensional tensor, differentiable in the weight only.
    /// </summary>
    /// <exception cref="LayerInputException">The vectors do not fit the weight.</exception>
    public static torch.Tensor Sigma(torch.Tensor weight, SpectralNormState state) =>
        state.U.dot(Checked(weight, state).mv(state.V));

    /// <summary>
    /// The normalised weight <c>W / σ</c> and the vectors after it. In training (<paramref name="training"/> true) one
    /// power iteration advances the vectors first (<see cref="Iterate"/>) and σ is estimated from the new ones, as
    /// PyTorch's module does in training mode; in evaluation the vectors are used as they are and returned unchanged
    /// (as fresh aliases). Pure: <paramref name="weight"/> and <paramref name="state"/> are untouched.
    /// </summary>
    /// <exception cref="LayerInputException">The vectors do not fit the weight; the message names both shapes.</exception>
    public static SpectralNormResult Apply(torch.Tensor weight, SpectralNormState state, bool training)
    {
        var next = training ? Iterate(weight, state) : new SpectralNormState(state.U.alias(), state.V.alias());
        return new SpectralNormResult(weight.div(Sigma(weight, next)), next);
    }

    /// <summary>The weight as the matrix [first dimension, product of the others]: a matrix itself, else a view.</summary>
    static torch.Tensor Matrix(torch.Tensor weight)
    {
        if (weight.dim() < 2 || weight.numel() == 0)
            throw new LayerInputException(Layer, weight, "a weight of at least 2 dimensions, none of them empty", Shapes.Describe(weight));
        return weight.dim() == 2 ? weight : weight.reshape(weight.shape[0], -1);
    }

    static torch.Tensor Checked(torch.Tensor weight, SpectralNormState state)
    {
        var matrix = Matrix(weight);
        if (state.U.dim() != 1 || state.V.dim() != 1 || state.U.shape[0] != matrix.shape[0] || state.V.shape[0] != matrix.shape[1])
            throw new LayerInputException(Layer, weight,
                $"vectors u [{matrix.shape[0]}] and v [{matrix.shape[1]}] for the weight {Shapes.Describe(weight)}",
                $"u {Shapes.Describe(state.U)} and v {Shapes.Describe(state.V)}");
        return matrix;
    }

    static torch.Tensor Unit(torch.Tensor x) => torch.nn.functional.normalize(x, p: 2, dim: 0, eps: Epsilon);
}
