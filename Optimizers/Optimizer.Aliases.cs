namespace Functional.Optimizers;

/// <summary>The familiar optimizers, each a <see cref="Chain"/> of stages (no logic of their own).</summary>
public static partial class Optimizer
{
    /// <summary>Plain SGD: <c>Chain(ScaleByLearningRate(lr))</c>; matches <c>torch.optim.SGD</c> without momentum.</summary>
    public static Chain Sgd(ISchedule learningRate) => new(new ScaleByLearningRate(learningRate));

    /// <summary>SGD with a constant learning rate.</summary>
    public static Chain Sgd(double learningRate) => Sgd(new Constant(learningRate));

    /// <summary>Heavy-ball momentum: <c>Chain(Trace(momentum), ScaleByLearningRate(lr))</c>; <c>torch.optim.SGD(momentum)</c>.</summary>
    public static Chain Momentum(double learningRate, double momentum) =>
        new(new Trace(momentum, Nesterov: false), new ScaleByLearningRate(learningRate));

    /// <summary>Nesterov momentum: <c>Chain(Trace(momentum, nesterov), ScaleByLearningRate(lr))</c>; <c>torch.optim.SGD(momentum, nesterov: true)</c>.</summary>
    public static Chain Nesterov(double learningRate, double momentum) =>
        new(new Trace(momentum, Nesterov: true), new ScaleByLearningRate(learningRate));

    /// <summary>Adagrad: <c>Chain(ScaleByAdagrad, ScaleByLearningRate(lr))</c>; <c>torch.optim.Adagrad</c>.</summary>
    public static Chain Adagrad(double learningRate, ScaleByAdagrad accumulator) => new(accumulator, new ScaleByLearningRate(learningRate));

    /// <summary>RMSprop: <c>Chain(ScaleByRms, ScaleByLearningRate(lr))</c>; <c>torch.optim.RMSprop</c> (no momentum, not centered).</summary>
    public static Chain RmsProp(double learningRate, ScaleByRms rms) => new(rms, new ScaleByLearningRate(learningRate));

    /// <summary>Adam: <c>Chain(ScaleByAdam, ScaleByLearningRate(lr))</c>; <c>torch.optim.Adam</c>.</summary>
    public static Chain Adam(ISchedule learningRate, ScaleByAdam moments) => new(moments, new ScaleByLearningRate(learningRate));

    /// <summary>Adam with a constant learning rate and <see cref="ScaleByAdam.Default"/>.</summary>
    public static Chain Adam(double learningRate) => Adam(new Constant(learningRate), ScaleByAdam.Default);

    /// <summary>
    /// Adam on the fused kernel: <see cref="Functional.Optimizers.FusedAdam"/> without clip or average, whose updates
    /// and states equal <see cref="Adam(ISchedule, ScaleByAdam)"/>'s (its <see cref="Functional.Optimizers.FusedAdam.Staged"/>
    /// pipeline); add a clip or an average with <c>with { Clip = ..., Average = ... }</c> or the record's constructor.
    /// </summary>
    public static Functional.Optimizers.FusedAdam FusedAdam(ISchedule learningRate, ScaleByAdam moments) => new(null, moments, new ScaleByLearningRate(learningRate), null);

    /// <summary>Adam on the fused kernel with a constant learning rate and <see cref="ScaleByAdam.Default"/>: the fused twin of <see cref="Adam(double)"/>.</summary>
    public static Functional.Optimizers.FusedAdam FusedAdam(double learningRate) => FusedAdam(new Constant(learningRate), ScaleByAdam.Default);

    /// <summary>
    /// AdamW: <c>Chain(ScaleByAdam, AddDecayedWeights(wd), ScaleByLearningRate(lr))</c>; <c>torch.optim.AdamW</c>
    /// (decay <c>p * (1 - lr * wd)</c> from the old parameters).
    /// </summary>
    public static Chain AdamW(ISchedule learningRate, ScaleByAdam moments, AddDecayedWeights decay) =>
        new(moments, decay, new ScaleByLearningRate(learningRate));

    /// <summary>AdamW with a constant learning rate, <see cref="ScaleByAdam.Default"/> and decay on every parameter.</summary>
    public static Chain AdamW(double learningRate, double weightDecay) =>
        AdamW(new Constant(learningRate), ScaleByAdam.Default, new AddDecayedWeights(weightDecay));

    /// <summary>LAMB: <c>Chain(ScaleByAdam, AddDecayedWeights, ScaleByTrustRatio, ScaleByLearningRate(lr))</c>.</summary>
    public static Chain Lamb(ISchedule learningRate, ScaleByAdam moments, AddDecayedWeights decay) =>
        new(moments, decay, ScaleByTrustRatio.Instance, new ScaleByLearningRate(learningRate));

    /// <summary>Lion: <c>Chain(ScaleByLion, AddDecayedWeights, ScaleByLearningRate(lr))</c>.</summary>
    public static Chain Lion(ISchedule learningRate, ScaleByLion moments, AddDecayedWeights decay) =>
        new(moments, decay, new ScaleByLearningRate(learningRate));
}
