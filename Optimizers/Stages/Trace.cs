using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Momentum: <c>trace = Decay * trace + g</c> (trace starts at 0); the update is <c>trace</c>, or with
/// <c>Nesterov</c> <c>g + Decay * trace</c>. This is <c>torch.optim.SGD</c>'s buffer with zero dampening.
/// </summary>
/// <param name="Decay">The momentum, in [0, 1).</param>
/// <param name="Nesterov">Whether to look ahead (Nesterov momentum).</param>
public sealed record Trace(double Decay, bool Nesterov) : IGradientTransformation
{
    /// <summary>The momentum, in [0, 1).</summary>
    public double Decay { get; init => field = Check.Decay(value, nameof(Decay)); } = Check.Decay(Decay, nameof(Decay));

    /// <summary>The problems of this momentum (none when <c>new Trace(decay, nesterov)</c> succeeds): the bounds its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(double decay) => Bounds.Decay(nameof(Decay), decay);

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new TraceState(ParameterTensors.Of(parameters, Leafwise.ZerosLike(parameters)));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var trace = Check.State<TraceState>(state, nameof(Trace)).Trace;
        Check.SameCount(gradients, trace, nameof(Trace));
        var next = new torch.Tensor[gradients.Count];
        using var decay = Decay.ToScalar();
        var updates = Leafwise.Map(gradients, (i, g) =>
        {
            next[i] = trace[i].mul(decay).add(g.Value, Scalars.One);
            return Nesterov ? g.Value.add(next[i].mul(decay), Scalars.One) : next[i].alias();
        });
        return new(updates, new TraceState(trace.With(next)));
    }
}

/// <summary>The state of <see cref="Trace"/>.</summary>
/// <param name="Trace">The momentum buffer, one per parameter leaf (tree paths <c>trace/{parameter path}</c>).</param>
public sealed record TraceState(ParameterTensors Trace);
