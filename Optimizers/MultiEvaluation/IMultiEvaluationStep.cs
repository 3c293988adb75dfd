using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// An optimizer step that may evaluate the gradient at other points than the current parameters (Heun's
/// method, sharpness-aware minimisation). Like <see cref="IGradientTransformation"/> it works on flattened leaves
/// and threads an immutable state; it is implementable by an F# object expression.
/// </summary>
/// <remarks>
/// Contract: pure, as <see cref="IGradientTransformation"/>. <c>gradientAt</c> evaluates the loss's gradient at
/// the given leaves (same paths and shapes as the parameters) and may be called any number of times;
/// <c>gradients</c> is the gradient at <c>parameters</c>, already computed.
/// </remarks>
public interface IMultiEvaluationStep
{
    /// <summary>The initial state for parameters with these leaves.</summary>
    object Init(IReadOnlyList<TreeLeaf> parameters);

    /// <summary>The updates for this step and the next state.</summary>
    TransformResult Update(Func<IReadOnlyList<TreeLeaf>, IReadOnlyList<TreeLeaf>> gradientAt, IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters);
}

/// <summary>
/// Heun's method (the explicit trapezoidal rule) on the gradient flow: with <c>g1 = grad(p)</c> and
/// <c>g2 = grad(p - lr * g1)</c> the update is <c>-lr/2 * (g1 + g2)</c>; two gradient evaluations per step. On
/// <c>f = a p^2 / 2</c> one step gives <c>p (1 - lr a + (lr a)^2 / 2)</c>.
/// </summary>
/// <param name="LearningRate">The step size per update (counted like <see cref="ScaleByLearningRate"/>).</param>
public sealed record Heun(ISchedule LearningRate) : IMultiEvaluationStep
{
    /// <summary>A constant step size.</summary>
    public Heun(double learningRate) : this(new Constant(learningRate)) { }

    /// <summary>The step size per update.</summary>
    public ISchedule LearningRate { get; init; } = Check.NotNull(LearningRate, nameof(LearningRate));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => CountState.At(0);

    /// <inheritdoc />
    public TransformResult Update(Func<IReadOnlyList<TreeLeaf>, IReadOnlyList<TreeLeaf>> gradientAt, IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var count = Counter.Read(Check.State<CountState>(state, nameof(Heun)).Count, nameof(Heun));
        var lr = LearningRate.Value(count);
        using var rate = lr.ToScalar();
        using var negativeHalfRate = (-lr / 2).ToScalar();
        var predicted = Leafwise.Map(parameters, (i, p) => p.Value - gradients[i].Value.mul(rate));
        var corrected = gradientAt(predicted);
        Check.SameLeaves(parameters, corrected);
        return new(Leafwise.Map(gradients, (i, g) => g.Value.add(corrected[i].Value, Scalars.One).mul(negativeHalfRate)), CountState.At(count + 1));
    }
}

/// <summary>
/// Sharpness-aware minimisation (Foret et al. 2021): the gradient is re-evaluated at the worst nearby point
/// <c>p + Rho * g / |g|</c> (|g| the global norm; no perturbation when it is 0) and that gradient is passed to
/// <c>Inner</c>. With <c>Rho = 0</c> this is <c>Inner</c> itself.
/// </summary>
/// <param name="Rho">The neighbourhood radius, &gt;= 0.</param>
/// <param name="Inner">The optimizer that uses the sharpness-aware gradient.</param>
public sealed record Sam(double Rho, IGradientTransformation Inner) : IMultiEvaluationStep
{
    /// <summary>The neighbourhood radius, &gt;= 0.</summary>
    public double Rho { get; init => field = Check.NonNegative(value, nameof(Rho)); } = Check.NonNegative(Rho, nameof(Rho));

    /// <summary>The optimizer that uses the sharpness-aware gradient.</summary>
    public IGradientTransformation Inner { get; init; } = Check.NotNull(Inner, nameof(Inner));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => Inner.Init(parameters);

    /// <inheritdoc />
    public TransformResult Update(Func<IReadOnlyList<TreeLeaf>, IReadOnlyList<TreeLeaf>> gradientAt, IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var norm = Leafwise.GlobalNorm(gradients);
        var scale = norm > 0 ? Rho / norm : 0;
        using var perturbation = scale.ToScalar();
        var perturbed = scale == 0 ? gradients : gradientAt(Leafwise.Map(parameters, (i, p) => p.Value.add(gradients[i].Value.mul(perturbation), Scalars.One)));
        Check.SameLeaves(parameters, perturbed);
        return Inner.Update(perturbed, state, parameters);
    }
}
