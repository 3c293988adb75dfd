using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// The part of a data-parallel step that one rank does alone on one shard, before any exchange: the model's loss, the
/// gradient of its parameters, its named metrics as numbers (in name order) and the model state it returns (detached,
/// the state given where it returns none). Both <see cref="DataParallel"/> and <see cref="ExactDataParallel"/> start here.
/// </summary>
/// <typeparam name="TParams">The parameter record.</typeparam>
/// <typeparam name="TModelState">The model state record.</typeparam>
/// <param name="Loss">The shard's loss (a 0-d tensor of the caller's dispose scope).</param>
/// <param name="Gradient">The gradient, shaped like the parameters.</param>
/// <param name="Metrics">The model's other metrics by name, each a single number.</param>
/// <param name="NextState">The model state after the shard.</param>
sealed record ShardGradient<TParams, TModelState>(torch.Tensor Loss, TParams Gradient, SortedDictionary<string, double> Metrics, TModelState NextState)
{
    /// <summary>Runs <paramref name="model"/> in training mode on <paramref name="batch"/> with <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentException">A metric is named like the loss, or is not a single number.</exception>
    public static ShardGradient<TParams, TModelState> Compute<TBatch>(ModelLoss<TParams, TModelState, TBatch> model, TrainState<TParams, TModelState> state, TBatch batch, torch.Generator generator) =>
        Compute(model, state, batch, generator, parameters => parameters);

    /// <summary>
    /// As <see cref="Compute{TBatch}(ModelLoss{TParams, TModelState, TBatch}, TrainState{TParams, TModelState}, TBatch, torch.Generator)"/>, the model
    /// seeing <paramref name="watch"/> of the differentiated parameters (an identity in values, such as the overlapped
    /// reduction's gradient watchers).
    /// </summary>
    public static ShardGradient<TParams, TModelState> Compute<TBatch>(ModelLoss<TParams, TModelState, TBatch> model, TrainState<TParams, TModelState> state, TBatch batch, torch.Generator generator, Func<TParams, TParams> watch)
    {
        var named = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var returned = default(TModelState);
        var (loss, gradient) = Autodiff.ValueAndGrad(parameters =>
        {
            var output = model(watch(parameters), batch, new StepContext<TModelState>(true, generator, Capture.None, state.ModelState));
            foreach (var (name, value) in output.Metrics) named[name] = Number(name, value);
            // Taken out of the differentiation's dispose scope, which ends before the step does.
            returned = output.NextState is { } next ? Tree.Map(next, tensor => tensor.detach().MoveToOuterDisposeScope()) : default;
            return output.Loss;
        }, state.Parameters);
        if (named.ContainsKey(TrainingSteps.LossName))
            throw new ArgumentException($"The metric name '{TrainingSteps.LossName}' is reserved for the model's loss; rename the metric.");
        return new(loss, gradient, named, TrainingSteps.NextModelState(state.ModelState, returned));
    }

    /// <summary>A metric as a number: <paramref name="value"/> must hold exactly one element.</summary>
    public static double Number(string name, torch.Tensor value)
    {
        if (value.numel() != 1) throw new ArgumentException($"The model's '{name}' must be a single number, got {Shapes.Describe(value)}.");
        using var number = value.detach().to(torch.float64);
        return number.item<double>();
    }
}
