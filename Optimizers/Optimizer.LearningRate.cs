namespace Functional.Optimizers;

public static partial class Optimizer
{
    /// <summary>
    /// The learning rate the next real update of <paramref name="pipeline"/> will use, read from its state: the
    /// schedule of the first <see cref="ScaleByLearningRate"/> found (in stage order) at that stage's update count. The
    /// search goes through <see cref="Chain"/>, <see cref="Functional.Optimizers.FusedAdam"/>, <see cref="Accumulate"/>,
    /// <see cref="SkipNonFinite"/>, <see cref="Lookahead"/>, <see cref="Masked"/> and <see cref="Partition"/> (its
    /// default branch first, then its rules); null when the pipeline has no learning-rate stage (or a stage it cannot
    /// see into). A <see cref="ReduceOnPlateau"/> multiplies its inner rate by its current scale. Per-path multipliers (<see cref="PathMultipliers"/>) scale this base rate and are not applied. Pure:
    /// reads only counters (and a plateau scale).
    /// </summary>
    /// <param name="pipeline">The gradient transformation.</param>
    /// <param name="state">Its state (from <see cref="Init{TParams}(IGradientTransformation, TParams)"/> or a step).</param>
    /// <exception cref="ArgumentException">The state is not of the pipeline's shape (a stage's state has another type).</exception>
    public static double? LearningRate(IGradientTransformation pipeline, object state)
    {
        Check.NotNull(pipeline, nameof(pipeline));
        Check.NotNull(state, nameof(state));
        switch (pipeline)
        {
            case ScaleByLearningRate stage:
                return stage.Schedule.Value(Check.State<CountState>(state, nameof(ScaleByLearningRate)).Count);
            case FusedAdam fused:
                return LearningRate(fused.Staged, state);
            case Chain chain:
                var states = Check.State<ChainState>(state, nameof(Chain)).States;
                for (var i = 0; i < chain.Stages.Count && i < states.Count; i++)
                    if (LearningRate(chain.Stages[i], states[i]) is { } found) return found;
                return null;
            case Accumulate accumulate:
                return LearningRate(accumulate.Inner, Check.State<AccumulateState>(state, nameof(Accumulate)).Inner);
            case ReduceOnPlateau plateau:
                var plateauState = Check.State<ReduceOnPlateauState>(state, nameof(ReduceOnPlateau));
                return LearningRate(plateau.Inner, plateauState.Inner) is { } inner ? ReduceOnPlateau.ScaledRate(inner, plateauState) : null;
            case SkipNonFinite skip:
                return LearningRate(skip.Inner, Check.State<SkipNonFiniteState>(state, nameof(SkipNonFinite)).Inner);
            case Lookahead lookahead:
                return LearningRate(lookahead.Inner, Check.State<LookaheadState>(state, nameof(Lookahead)).Inner);
            case Masked masked:
                return LearningRate(masked.Inner, Check.State<MaskedState>(state, nameof(Masked)).Inner);
            case Partition partition:
                var branches = Check.State<PartitionState>(state, nameof(Partition)).States;
                if (branches.Count == partition.Rules.Count + 1 && LearningRate(partition.Default, branches[^1]) is { } fromDefault)
                    return fromDefault;
                for (var i = 0; i < partition.Rules.Count && i < branches.Count; i++)
                    if (LearningRate(partition.Rules[i].Inner, branches[i]) is { } found) return found;
                return null;
            default:
                return null;
        }
    }
}
