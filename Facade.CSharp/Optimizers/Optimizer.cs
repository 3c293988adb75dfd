using Functional.Optimizers;
using LanguageExt;
using Aliases = Functional.Optimizers.Optimizer;

namespace Functional.Facade;

/// <summary>
/// The starting points of fluent optimizer pipelines: each is the core alias of the same name
/// (<see cref="Functional.Optimizers.Optimizer"/>), with its arguments checked when the pipeline is built, not here.
/// </summary>
/// <remarks>
/// A file that imports both <c>Functional.Optimizers</c> and <c>Functional.Facade</c> sees two classes named
/// <c>Optimizer</c>; pick this one with <c>using Optimizer = Functional.Facade.Optimizer;</c>.
/// </remarks>
public static class Optimizer
{
    /// <summary>Plain SGD, <see cref="Aliases.Sgd(double)"/>.</summary>
    public static OptimizerBuilder Sgd(double learningRate) =>
        new(new BaseOptimizer(Rate("Sgd", learningRate), () => Aliases.Sgd(learningRate)));

    /// <summary>SGD with a learning-rate schedule, <see cref="Aliases.Sgd(ISchedule)"/>.</summary>
    public static OptimizerBuilder Sgd(ISchedule learningRate) =>
        new(new BaseOptimizer(Checks.NotNull("Sgd.learningRate", learningRate), () => Aliases.Sgd(learningRate)));

    /// <summary>Heavy-ball momentum, <see cref="Aliases.Momentum"/>.</summary>
    public static OptimizerBuilder Momentum(double learningRate, double momentum) =>
        new(new BaseOptimizer(Rate("Momentum", learningRate) + Checks.As("Momentum.momentum", Trace.Validate(momentum)), () => Aliases.Momentum(learningRate, momentum)));

    /// <summary>Nesterov momentum, <see cref="Aliases.Nesterov"/>.</summary>
    public static OptimizerBuilder Nesterov(double learningRate, double momentum) =>
        new(new BaseOptimizer(Rate("Nesterov", learningRate) + Checks.As("Nesterov.momentum", Trace.Validate(momentum)), () => Aliases.Nesterov(learningRate, momentum)));

    /// <summary>Adam with <see cref="ScaleByAdam.Default"/>, <see cref="Aliases.Adam(double)"/>.</summary>
    public static OptimizerBuilder Adam(double learningRate) =>
        new(new BaseOptimizer(Rate("Adam", learningRate), () => Aliases.Adam(learningRate)));

    /// <summary>Adam with its moments' settings, <see cref="Aliases.Adam(ISchedule, ScaleByAdam)"/> with a constant rate.</summary>
    public static OptimizerBuilder Adam(double learningRate, double b1, double b2, double eps) =>
        new(new BaseOptimizer(Rate("Adam", learningRate) + Checks.Of("Adam", ScaleByAdam.Validate(b1, b2, eps)), () => Aliases.Adam(new Constant(learningRate), new ScaleByAdam(b1, b2, eps))));

    /// <summary>Adam with a learning-rate schedule and <see cref="ScaleByAdam.Default"/>.</summary>
    public static OptimizerBuilder Adam(ISchedule learningRate) =>
        new(new BaseOptimizer(Checks.NotNull("Adam.learningRate", learningRate), () => Aliases.Adam(learningRate, ScaleByAdam.Default)));

    /// <summary>
    /// Adam on the fused kernel, <see cref="Aliases.FusedAdam(double)"/>: the same updates and states as
    /// <see cref="Adam(double)"/> (with <see cref="OptimizerBuilder.ClipByGlobalNorm"/> and
    /// <see cref="OptimizerBuilder.WithEma(double)"/> folded into the kernel), one pass per element on float32 CPU
    /// parameters. Per-path rules and accumulation are configuration errors here: start from <see cref="Adam(double)"/> for them.
    /// </summary>
    public static OptimizerBuilder FusedAdam(double learningRate) =>
        new(new BaseOptimizer(Rate("FusedAdam", learningRate), () => Aliases.FusedAdam(learningRate).Staged, () => Aliases.FusedAdam(learningRate)));

    /// <summary>Adam with a learning-rate schedule on the fused kernel, <see cref="Aliases.FusedAdam(ISchedule, ScaleByAdam)"/>; as <see cref="FusedAdam(double)"/>.</summary>
    public static OptimizerBuilder FusedAdam(ISchedule learningRate) =>
        new(new BaseOptimizer(Checks.NotNull("FusedAdam.learningRate", learningRate),
            () => Aliases.FusedAdam(learningRate, ScaleByAdam.Default).Staged, () => Aliases.FusedAdam(learningRate, ScaleByAdam.Default)));

    /// <summary>AdamW with <see cref="ScaleByAdam.Default"/> and decay on every parameter, <see cref="Aliases.AdamW(double, double)"/>.</summary>
    public static OptimizerBuilder AdamW(double learningRate, double weightDecay) =>
        new(new BaseOptimizer(Rate("AdamW", learningRate) + Decay("AdamW", weightDecay), () => Aliases.AdamW(learningRate, weightDecay)));

    /// <summary>LAMB with <see cref="ScaleByAdam.Default"/>, <see cref="Aliases.Lamb"/> with a constant rate.</summary>
    public static OptimizerBuilder Lamb(double learningRate, double weightDecay) =>
        new(new BaseOptimizer(Rate("Lamb", learningRate) + Decay("Lamb", weightDecay),
            () => Aliases.Lamb(new Constant(learningRate), ScaleByAdam.Default, new AddDecayedWeights(weightDecay))));

    /// <summary>Lion with <see cref="ScaleByLion.Default"/>, <see cref="Aliases.Lion"/> with a constant rate.</summary>
    public static OptimizerBuilder Lion(double learningRate, double weightDecay) =>
        new(new BaseOptimizer(Rate("Lion", learningRate) + Decay("Lion", weightDecay),
            () => Aliases.Lion(new Constant(learningRate), ScaleByLion.Default, new AddDecayedWeights(weightDecay))));

    /// <summary>Any core chain as the start of a pipeline (already validated by its own constructors).</summary>
    public static OptimizerBuilder From(Chain chain) =>
        new(new BaseOptimizer(Checks.NotNull("From.chain", chain), () => chain));

    /// <summary>A constant learning rate's errors: those of <see cref="Constant.Validate"/>.</summary>
    static Seq<ConfigurationError> Rate(string alias, double learningRate) => Checks.As($"{alias}.learningRate", Constant.Validate(learningRate));

    /// <summary>A weight decay's errors: those of <see cref="AddDecayedWeights.Validate"/>.</summary>
    static Seq<ConfigurationError> Decay(string alias, double weightDecay) => Checks.As($"{alias}.weightDecay", AddDecayedWeights.Validate(weightDecay));
}

/// <summary>The start of a pipeline: the errors of its arguments, and the core chain they make when there are none.</summary>
/// <param name="Errors">The arguments' errors (empty when valid).</param>
/// <param name="Create">Calls the core alias; only called when <paramref name="Errors"/> is empty.</param>
/// <param name="CreateFused">
/// For a fused start (<see cref="Optimizer.FusedAdam(double)"/>): the core <see cref="Functional.Optimizers.FusedAdam"/>
/// the pipeline is built from, its clip and average then set by the builder; null for a staged start.
/// </param>
internal sealed record BaseOptimizer(Seq<ConfigurationError> Errors, Func<Chain> Create, Func<Functional.Optimizers.FusedAdam>? CreateFused = null);
