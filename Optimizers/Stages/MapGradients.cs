using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// "Free gradients": a user function <c>(path, gradient) -&gt; gradient</c> applied to every leaf. The function must
/// be pure (not mutate or dispose its input) and return a tensor of the same shape. Stateless.
/// </summary>
/// <param name="Function">The per-tensor function.</param>
public sealed record MapGradients(Func<string, torch.Tensor, torch.Tensor> Function) : IGradientTransformation
{
    /// <summary>The per-tensor function.</summary>
    public Func<string, torch.Tensor, torch.Tensor> Function { get; init; } = Check.NotNull(Function, nameof(Function));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => EmptyState.Instance;

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var updates = Leafwise.Map(gradients, (_, g) =>
        {
            var mapped = Function(g.Path, g.Value);
            return ReferenceEquals(mapped, g.Value) ? g.Value.alias() : mapped;
        });
        Check.SameLeaves(gradients, updates);
        return new(updates, EmptyState.Instance);
    }
}
