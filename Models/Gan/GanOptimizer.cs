using Functional.Core;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>
/// The optimizer pipelines of the two networks. <see cref="Joint"/> is one pipeline over <see cref="GanParams"/>
/// that sends every <c>generator/**</c> leaf to <see cref="GanGenerator"/> and every <c>discriminator/**</c> leaf to
/// <see cref="Discriminator"/> (a <see cref="Partition"/>); the single-loss step uses it, and the alternating step
/// runs the same two branches on the same state one after the other, so both steps share pipelines and states.
/// </summary>
/// <param name="Generator">The generator's pipeline.</param>
/// <param name="Discriminator">The discriminator's pipeline.</param>
public sealed record GanOptimizer(IGradientTransformation Generator, IGradientTransformation Discriminator)
{
    /// <summary>Branch index of the generator in the joint state.</summary>
    public const int GeneratorBranch = 0;

    /// <summary>Branch index of the discriminator in the joint state.</summary>
    public const int DiscriminatorBranch = 1;

    /// <summary>
    /// Adam with the step sizes and decays of <paramref name="options"/> for each network; the generator's pipeline
    /// ends with a <see cref="ParameterEma"/> (with bias correction) when <c>options.GeneratorEma</c> is above 0.
    /// </summary>
    public static GanOptimizer Adam(GanOptions options)
    {
        var moments = ScaleByAdam.Default with { B1 = options.B1, B2 = options.B2 };
        var generator = Optimizer.Adam(new Constant(options.GeneratorLearningRate), moments);
        return new(options.GeneratorEma > 0 ? new Chain(generator, new ParameterEma(options.GeneratorEma, BiasCorrection: true)) : generator,
                   Optimizer.Adam(new Constant(options.DiscriminatorLearningRate), moments));
    }

    /// <summary>
    /// The generator to sample from in <paramref name="state"/>: the average of its weights when its pipeline keeps
    /// one (fresh tensors), else its parameters (aliases).
    /// </summary>
    public static GeneratorParams SamplingGenerator(TrainState<GanParams, GanState> state)
    {
        var branch = state.OptimizerState is PartitionState joint ? joint.States[GeneratorBranch] : null;
        return branch is not null && OptimizerStates.Find<ParameterEmaState>(branch) is not null
            ? ParameterEma.Average(branch, state.Parameters.Generator)
            : Tree.Map(state.Parameters.Generator, p => p.alias());
    }

    /// <summary>The joint pipeline: a partition by path into the two branches (nothing falls to its identity default).</summary>
    public Partition Joint => new([new PartitionRule(GanParams.GeneratorPaths, Generator), new PartitionRule(GanParams.DiscriminatorPaths, Discriminator)], Identity.Instance);

    /// <summary>The joint state (a <see cref="PartitionState"/>) for <paramref name="parameters"/>.</summary>
    public object Init(GanParams parameters) => Optimizer.Init(Joint, parameters);
}
