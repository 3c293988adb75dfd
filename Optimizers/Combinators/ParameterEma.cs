using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Polyak averaging of the parameters (not of the updates), kept in the state: place it last in a chain. It sees
/// the parameters <c>p</c> and the final updates <c>u</c>, records <c>average = Decay * average + (1 - Decay) * (p + u)</c>
/// (the new parameters) and passes the updates on unchanged (bitwise), so training is identical with it or
/// without it. Without bias correction the average starts at the initial parameters; with it, it starts at zero
/// and is read out divided by <c>1 - Decay^Count</c>. Read it as a parameter tree with <see cref="Average{TParams}"/>.
/// </summary>
/// <param name="Decay">The averaging decay, in [0, 1).</param>
/// <param name="BiasCorrection">Whether to start from zero and debias.</param>
public sealed record ParameterEma(double Decay, bool BiasCorrection) : IGradientTransformation
{
    /// <summary>The averaging decay, in [0, 1).</summary>
    public double Decay { get; init => field = Check.Decay(value, nameof(Decay)); } = Check.Decay(Decay, nameof(Decay));

    /// <summary>The problems of this decay (none when <c>new ParameterEma(decay, biasCorrection)</c> succeeds): the bounds its constructor throws.</summary>
    public static IReadOnlyList<Problem> Validate(double decay) => Bounds.Decay(nameof(Decay), decay);

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) =>
        new ParameterEmaState(Counter.Of(0), Decay, BiasCorrection,
            ParameterTensors.Of(parameters, BiasCorrection ? Leafwise.ZerosLike(parameters) : parameters.Select(p => p.Value.alias()).ToArray()));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var ema = Check.State<ParameterEmaState>(state, nameof(ParameterEma));
        Check.SameCount(gradients, ema.Average, nameof(ParameterEma));
        Check.SameLeaves(parameters, gradients);
        using var decay = Decay.ToScalar();
        using var oneMinusDecay = (1 - Decay).ToScalar();
        var average = gradients.Select((u, i) =>
        {
            using var scope = torch.NewDisposeScope();
            return ema.Average[i].mul(decay).add(parameters[i].Value.add(u.Value, Scalars.One).mul(oneMinusDecay), Scalars.One).MoveToOuterDisposeScope();
        }).ToArray();
        return new(Leafwise.Aliases(gradients), new ParameterEmaState(Counter.Of(Counter.Read(ema.Count, nameof(ParameterEma)) + 1), Decay, BiasCorrection, ema.Average.With(average)));
    }

    /// <summary>
    /// The averaged parameters as a tree of <paramref name="template"/>'s structure, from the first
    /// <see cref="ParameterEmaState"/> found in <paramref name="state"/> (which may be any composite state).
    /// Fresh tensors; debiased when the EMA was made with bias correction (before any update: the initial
    /// parameters, or zeros with bias correction).
    /// </summary>
    /// <exception cref="ArgumentException">The state holds no EMA.</exception>
    public static TParams Average<TParams>(object state, TParams template)
    {
        var ema = OptimizerStates.Find<ParameterEmaState>(state)
                  ?? throw new ArgumentException("The optimizer state holds no ParameterEma state: add a ParameterEma stage (last in the chain).", nameof(state));
        var count = Counter.Read(ema.Count, nameof(ParameterEma));
        var correction = ema.BiasCorrection && count > 0 ? 1 - Math.Pow(ema.Decay, count) : 1;
        using var debias = correction.ToScalar();
        return Tree.Unflatten(template, ema.Average.Select(a => correction == 1 ? a.clone() : a.div(debias)).ToArray());
    }
}

/// <summary>The state of <see cref="ParameterEma"/>.</summary>
/// <param name="Count">Updates averaged so far: a 0-d int64 CPU tensor.</param>
/// <param name="Decay">The decay (kept for the read-out; configuration, not a leaf).</param>
/// <param name="BiasCorrection">Whether the read-out debiases.</param>
/// <param name="Average">The running average, one per parameter leaf (biased when <paramref name="BiasCorrection"/>; tree paths <c>average/{parameter path}</c>).</param>
public sealed record ParameterEmaState(torch.Tensor Count, double Decay, bool BiasCorrection, ParameterTensors Average);
