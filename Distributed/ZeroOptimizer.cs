using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// The optimizer a rank runs under ZeRO stage 1: the same pipeline, applied to its own leaves with the other ranks'
/// leaves as empty placeholders (<see cref="ZeroPartition.Placeholders"/>). Every stage that works leaf by leaf gives
/// the owned leaves the same bits as unsharded; the one stage that needs every leaf, <see cref="ClipByGlobalNorm"/>,
/// becomes a clip whose norm sums every leaf's <see cref="ClipByGlobalNorm.LeafSquaredNorm"/> from its owner in leaf
/// order. Stages whose exactness under sharding is not established are refused by name.
/// </summary>
internal static class ZeroOptimizer
{
    /// <summary>
    /// <paramref name="optimizer"/> with every <see cref="ClipByGlobalNorm"/> (also inside <see cref="Chain"/>,
    /// <see cref="Masked"/>, <see cref="Partition"/>, <see cref="Accumulate"/> and <see cref="Lookahead"/>) computing its
    /// norm with <paramref name="globalNorm"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A stage cannot be sharded exactly (the message names it and why).</exception>
    public static IGradientTransformation ForShard(IGradientTransformation optimizer, Func<IReadOnlyList<TreeLeaf>, double> globalNorm, string where = "the pipeline")
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer switch
        {
            ClipByGlobalNorm clip => new ShardedClipByGlobalNorm(clip.MaxNorm, globalNorm),
            Chain chain => new Chain(chain.Stages.Select((stage, i) => ForShard(stage, globalNorm, $"stage {i} of {where}")).ToArray()),
            Masked masked => masked with { Inner = ForShard(masked.Inner, globalNorm, $"the inner pipeline of {where} (Masked)") },
            Partition partition => partition with
            {
                Rules = partition.Rules.Select(rule => rule with { Inner = ForShard(rule.Inner, globalNorm, $"the rule '{rule.Pattern}' of {where} (Partition)") }).ToArray(),
                Default = ForShard(partition.Default, globalNorm, $"the default of {where} (Partition)"),
            },
            Accumulate accumulate => accumulate with { Inner = ForShard(accumulate.Inner, globalNorm, $"the inner pipeline of {where} (Accumulate)") },
            Lookahead lookahead => lookahead with { Inner = ForShard(lookahead.Inner, globalNorm, $"the inner pipeline of {where} (Lookahead)") },
            ScaleByAdam or ScaleByLearningRate or AddDecayedWeights or Scale or ClipByValue or ClipByNorm or AdaptiveClip or Trace
                or ScaleByRms or ScaleByAdagrad or ScaleByLion or ScaleByTrustRatio or PathMultipliers or MapGradients or Identity => optimizer,
            FusedAdam => throw new ArgumentException($"{Where(where)} is a FusedAdam, whose one pass runs over every leaf at once; shard the optimizer state of the staged Adam (Optimizer.Adam) instead."),
            SkipNonFinite => throw new ArgumentException($"{Where(where)} is a SkipNonFinite, which decides from every leaf whether to skip; it is not sharded yet (ZeRO-1 shards only pipelines whose stages work leaf by leaf, and global-norm clipping)."),
            ParameterEma => throw new ArgumentException($"{Where(where)} is a ParameterEma: sharded, the averaged weights would live in pieces on the ranks and evaluating with them would need them whole; train without ZeRO-1 to keep an average."),
            _ => throw new ArgumentException($"{Where(where)} is a {optimizer.GetType().Name}, which ZeRO-1 does not know to work leaf by leaf; its state cannot be sharded with the same bits as unsharded."),
        };
    }

    static string Where(string where) => char.ToUpperInvariant(where[0]) + where[1..];
}

/// <summary>
/// <see cref="ClipByGlobalNorm"/> under ZeRO-1: the same factor and arithmetic, the norm from <see cref="Norm"/>
/// (which gathers the per-leaf squared norms from their owners and sums them in leaf order, as unsharded).
/// </summary>
/// <param name="MaxNorm">The largest global norm, &gt; 0.</param>
/// <param name="Norm">The global norm of the given (partly placeholder) leaves; a collective call on every rank.</param>
internal sealed record ShardedClipByGlobalNorm(double MaxNorm, Func<IReadOnlyList<TreeLeaf>, double> Norm) : IGradientTransformation
{
    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new ClipByGlobalNorm(MaxNorm).Init(parameters);

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var norm = Norm(gradients);
        using var factor = (MaxNorm / norm).ToScalar();
        var updates = gradients.Select(g => new TreeLeaf(g.Path, norm > MaxNorm ? g.Value.mul(factor) : g.Value.alias())).ToArray();
        return new(updates, state);
    }
}
