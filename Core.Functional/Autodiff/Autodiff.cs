using TorchSharp;

namespace Functional.Core;

/// <summary>Gradients of pure functions of parameter trees.</summary>
public static class Autodiff
{
    /// <summary>
    /// Evaluates <paramref name="loss"/> at <paramref name="parameters"/> and returns its value and its gradient
    /// with respect to every floating-point leaf, as a tree of the same structure.
    /// </summary>
    /// <remarks>
    /// Contract: the caller's tensors are never touched — the loss sees detached aliases of them, so their
    /// <c>requires_grad</c> and <c>grad</c> stay as they were and no graph is attached to them. A leaf the loss does not use
    /// gets a zero gradient; a non-floating leaf (an integer buffer) gets zeros too. Gradients are computed even
    /// inside <c>torch.no_grad()</c>. Everything the loss allocates is released when this returns: the call runs in
    /// one dispose scope and moves out only the value and the gradient tensors. A layer that refuses its input is
    /// reported with its path in <paramref name="parameters"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">The loss is not a single floating-point number.</exception>
    public static ValueAndGradient<TParams> ValueAndGrad<TParams>(Func<TParams, torch.Tensor> loss, TParams parameters)
    {
        using var scope = torch.NewDisposeScope();
        using var gradientMode = torch.enable_grad();
        var leaves = Tree.Leaves(parameters);
        var watched = leaves.Select(leaf => leaf.is_floating_point() ? leaf.detach().requires_grad_(true) : leaf.detach()).ToArray();
        var value = LayerPaths.Resolve(Tree.Unflatten(parameters, watched), loss);
        CheckScalarLoss(value);

        var differentiable = watched.Where(leaf => leaf.requires_grad).ToArray();
        var computed = value.requires_grad && differentiable.Length > 0
            ? torch.autograd.grad([value], differentiable, allow_unused: true)
            : [];
        var gradients = new torch.Tensor[watched.Length];
        for (int i = 0, d = 0; i < watched.Length; i++)
        {
            var gradient = watched[i].requires_grad && d < computed.Count ? computed[d++] : null;
            gradients[i] = gradient is null || gradient.IsInvalid ? torch.zeros_like(leaves[i]) : gradient;
        }

        var result = value.detach();
        scope.MoveToOuter(gradients.Append(result));
        return new ValueAndGradient<TParams>(result, Tree.Unflatten(parameters, gradients));
    }

    /// <summary>
    /// <paramref name="value"/> as a constant: the same numbers, through which no gradient flows. Returns a new
    /// tensor sharing storage with the input; the input is untouched.
    /// </summary>
    public static torch.Tensor StopGradient(torch.Tensor value) => value.detach();

    /// <summary><see cref="StopGradient(torch.Tensor)"/> applied to every leaf of a tree.</summary>
    public static TTree StopGradient<TTree>(TTree tree) => Tree.Map(tree, leaf => leaf.detach());

    static void CheckScalarLoss(torch.Tensor value)
    {
        if (value.numel() != 1)
            throw new ArgumentException($"The loss must be a single number, got a tensor {Shapes.Describe(value)}: reduce it (mean or sum) before returning it.");
        if (!value.is_floating_point())
            throw new ArgumentException($"The loss must be floating-point to be differentiated, got {Shapes.Describe(value)}.");
    }
}
