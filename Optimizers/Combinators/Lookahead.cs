using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Lookahead (Zhang et al. 2019): the parameters are the fast weights, moved by <c>Inner</c>; the state keeps slow
/// weights (starting at the initial parameters). Every <c>K</c>-th update the new parameters become
/// <c>slow + Alpha * (fast - slow)</c> (fast = p + inner update), which are also the new slow weights; the update
/// returned then is <c>u + (1 - Alpha) * (slow - (p + u))</c>. With <c>Alpha = 1</c> this is the inner update itself.
/// </summary>
/// <param name="Inner">The fast optimizer.</param>
/// <param name="K">Fast steps per synchronisation, &gt;= 1.</param>
/// <param name="Alpha">The slow step size, in [0, 1].</param>
public sealed record Lookahead(IGradientTransformation Inner, int K, double Alpha) : IGradientTransformation
{
    /// <summary>The fast optimizer.</summary>
    public IGradientTransformation Inner { get; init; } = Check.NotNull(Inner, nameof(Inner));

    /// <summary>Fast steps per synchronisation, &gt;= 1.</summary>
    public int K { get; init => field = Check.AtLeastOne(value, nameof(K)); } = Check.AtLeastOne(K, nameof(K));

    /// <summary>The slow step size, in [0, 1].</summary>
    public double Alpha { get; init => field = Check.Fraction(value, nameof(Alpha)); } = Check.Fraction(Alpha, nameof(Alpha));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => 
        new LookaheadState(Counter.Of(0), ParameterTensors.Of(parameters, parameters.Select(p => p.Value.alias()).ToArray()), Inner.Init(parameters));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var lookahead = Check.State<LookaheadState>(state, nameof(Lookahead));
        Check.SameCount(gradients, lookahead.Slow, nameof(Lookahead));
        var result = Inner.Update(gradients, lookahead.Inner, parameters);
        var count = Counter.Read(lookahead.Count, nameof(Lookahead)) + 1;
        if (count % K != 0)
            return new(result.Updates, new LookaheadState(Counter.Of(count), lookahead.Slow.With(Leafwise.Aliases(lookahead.Slow.Values)), result.State));
        var slow = new torch.Tensor[gradients.Count];
        using var oneMinusAlpha = (1 - Alpha).ToScalar();
        var updates = Leafwise.Map(result.Updates, (i, u) =>
        {
            var p = parameters[i].Value;
            var update = u.Value.add((lookahead.Slow[i] - p.add(u.Value, Scalars.One)).mul(oneMinusAlpha), Scalars.One);
            slow[i] = p.add(update, Scalars.One);
            return update;
        });
        return new(updates, new LookaheadState(Counter.Of(count), lookahead.Slow.With(slow), result.State));
    }
}

/// <summary>The state of <see cref="Lookahead"/>.</summary>
/// <param name="Count">Fast updates so far: a 0-d int64 CPU tensor.</param>
/// <param name="Slow">The slow weights, one per parameter leaf (tree paths <c>slow/{parameter path}</c>).</param>
/// <param name="Inner">The fast optimizer's state.</param>
public sealed record LookaheadState(torch.Tensor Count, ParameterTensors Slow, object Inner);
