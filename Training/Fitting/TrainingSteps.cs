using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Training;

/// <summary>The pure training step and evaluation of a <see cref="ModelLoss{TParams, TModelState, TBatch}"/>.</summary>
public static class TrainingSteps
{
    /// <summary>The metric name under which the loss is reported.</summary>
    public const string LossName = "loss";

    /// <summary>
    /// One training step, <c>(state, batch) -> (state, metrics)</c>: the model's loss and its gradient at the state's
    /// parameters (dropout drawn from the state's random state), one update of <paramref name="optimizer"/>, the
    /// step count and data position advanced by one batch, and the model state the model returned (detached: no gradient
    /// is ever taken with respect to it, and the optimizer never sees it).
    /// </summary>
    /// <remarks>
    /// Pure: <paramref name="state"/> and <paramref name="batch"/> are neither changed nor released, and the returned
    /// state shares no tensor handle with <paramref name="state"/> (release the old one with
    /// <see cref="TrainState.Dispose{TParams, TModelState}"/> when it is no longer needed). Runs in one dispose scope: only the new
    /// state leaves it. The same state and batch always give the same result.
    /// </remarks>
    /// <exception cref="ArgumentException">A metric is not a single number, or is named <c>loss</c>.</exception>
    /// <exception cref="InvalidOperationException">The model returned a state whose structure differs from the one it was given (the message names the first differing path).</exception>
    public static StepResult<TParams, TModelState> Step<TParams, TModelState, TBatch>(ModelLoss<TParams, TModelState, TBatch> model, IGradientTransformation optimizer, TrainState<TParams, TModelState> state, TBatch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        using var generator = Restore(state.RandomState, DeviceOf(state.Parameters));
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var next = Memory.Scoped(() =>
        {
            var returned = default(TModelState);
            var (loss, gradient) = Autodiff.ValueAndGrad(parameters =>
            {
                var output = model(parameters, batch, new StepContext<TModelState>(true, generator, Capture.None, state.ModelState));
                Read(output.Metrics, metrics);
                // Taken out of the differentiation's dispose scope, which ends before the step does.
                returned = output.NextState is { } next ? Tree.Map(next, tensor => tensor.detach().MoveToOuterDisposeScope()) : default;
                return output.Loss;
            }, state.Parameters);
            metrics[LossName] = loss.to(torch.float64).item<double>();
            var (parameters, optimizerState) = Optimizer.Step(optimizer, gradient, state.OptimizerState, state.Parameters);
            return new TrainState<TParams, TModelState>(parameters, optimizerState, state.Step + 1, generator.get_state(), state.Position with { Batch = state.Position.Batch + 1 },
                NextModelState(state.ModelState, returned));
        });
        return new StepResult<TParams, TModelState>(next, metrics);
    }

    /// <summary>
    /// The mean of the loss and of each metric over <paramref name="batches"/> (each batch counts once), with the
    /// model in evaluation mode (<see cref="StepContext.Training"/> false), without gradients, reading
    /// <paramref name="modelState"/> (running statistics, not the batch's; <see cref="NoState.Value"/> for a stateless model);
    /// any state the model returns is dropped, so evaluation never changes the state. Batches that are
    /// <see cref="IDisposable"/> are released after use. A fixed generator (seed 0, on the parameters' device) is passed
    /// for models that sample.
    /// </summary>
    /// <exception cref="ArgumentException">There are no batches.</exception>
    public static IReadOnlyDictionary<string, double> Evaluate<TParams, TModelState, TBatch>(ModelLoss<TParams, TModelState, TBatch> model, TParams parameters, TModelState modelState, IEnumerable<TBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(modelState);
        ArgumentNullException.ThrowIfNull(model);
        using var generator = new torch.Generator(0, DeviceOf(parameters));
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        var count = 0;
        foreach (var batch in batches)
        {
            try
            {
                using var scope = torch.NewDisposeScope();
                using var noGradient = torch.no_grad();
                var output = model(parameters, batch, new StepContext<TModelState>(false, generator, Capture.None, modelState));
                var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { [LossName] = ScalarValue(LossName, output.Loss) };
                Read(output.Metrics, metrics);
                foreach (var (name, value) in metrics) sums[name] = sums.GetValueOrDefault(name) + value;
                count++;
            }
            finally
            {
                (batch as IDisposable)?.Dispose();
            }
        }
        if (count == 0) throw new ArgumentException("Evaluation needs at least one batch.", nameof(batches));
        return sums.ToDictionary(pair => pair.Key, pair => pair.Value / count, StringComparer.Ordinal);
    }

    /// <summary>
    /// The parameters to evaluate: the exponential moving average when the optimizer state holds a
    /// <see cref="ParameterEma"/> (fresh tensors, debiased as configured), otherwise aliases of the parameters.
    /// Either way the caller owns the result.
    /// </summary>
    public static TParams EvaluationParameters<TParams, TModelState>(TrainState<TParams, TModelState> state) =>
        OptimizerStates.Find<ParameterEmaState>(state.OptimizerState) is null
            ? Tree.Map(state.Parameters, p => p.alias())
            : ParameterEma.Average(state.OptimizerState, state.Parameters);

    /// <summary>
    /// The model state after a step (for steps written outside this class, such as a data-parallel one): what the model
    /// returned (or the one it read, when it returned none, i.e. null), as fresh detached handles, so the next train state
    /// shares no handle with the previous one and carries no graph.
    /// </summary>
    /// <exception cref="InvalidOperationException">The returned state's structure differs from the given one (the message names the first differing path and both shapes).</exception>
    public static TModelState NextModelState<TModelState>(TModelState given, TModelState? returned)
    {
        if (returned is null || ReferenceEquals(returned, given)) return Tree.Map(given, tensor => tensor.detach());
        try
        {
            Tree.CheckSameStructure(given, returned);
        }
        catch (TreeMismatchException error)
        {
            throw new InvalidOperationException(
                $"The model returned a state of another structure than it was given: at '{TreePath.Display(error.Path)}' it was given {error.Expected}, it returned {error.Actual}.", error);
        }
        return Tree.Map(returned, tensor => tensor.detach());
    }

    /// <summary>A generator on <paramref name="device"/> (null: torch's default) in the given state.</summary>
    internal static torch.Generator Restore(torch.Tensor randomState, torch.Device? device)
    {
        var generator = new torch.Generator(0, device);
        generator.set_state(randomState);
        return generator;
    }

    /// <summary>The device of the first tensor of <paramref name="parameters"/>, or null when the tree has none.</summary>
    internal static torch.Device? DeviceOf<TParams>(TParams parameters) => Tree.Leaves(parameters).FirstOrDefault()?.device;

    static void Read(IReadOnlyDictionary<string, torch.Tensor> outputs, Dictionary<string, double> into)
    {
        foreach (var (name, value) in outputs)
        {
            if (name == LossName) throw new ArgumentException($"The metric name '{LossName}' is reserved for the model's loss; rename the metric.");
            into[name] = ScalarValue(name, value);
        }
    }

    static double ScalarValue(string name, torch.Tensor value)
    {
        if (value.numel() != 1)
            throw new ArgumentException($"The model's '{name}' must be a single number, got {Shapes.Describe(value)}.");
        using var number = value.detach().to(torch.float64);
        return number.item<double>();
    }
}
