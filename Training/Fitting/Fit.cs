using System.Diagnostics;
using System.Globalization;
using Functional.Optimizers;
using Functional.Core;

namespace Functional.Training;

/// <summary>
/// The training loop: epochs of <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> over restartable data, validation after
/// each epoch (with EMA weights when the pipeline keeps them; a metric-fed pipeline such as
/// <see cref="ReduceOnPlateau"/> is then given its validation metric), early stopping and a time budget. Everything else (a
/// progress bar, a metrics log, charts, checkpoints, callbacks) is an <see cref="IFitObserver"/> in
/// <see cref="FitOptions.Observers"/>.
/// </summary>
public static class Fit
{
    /// <summary>
    /// Trains from <paramref name="state"/> (a fresh one or one loaded from a checkpoint: it continues at its own
    /// epoch, batch and step) until <see cref="FitOptions.Epochs"/> epochs are done or a stop condition holds.
    /// </summary>
    /// <param name="model">The model, whose loss is computed inside it.</param>
    /// <param name="optimizer">The gradient-transformation pipeline (its schedules see the update count).</param>
    /// <param name="state">The starting state; it stays the caller's and is not released.</param>
    /// <param name="data">The training batches, restartable at a data position.</param>
    /// <param name="validate">
    /// Validation metrics for given parameters (the EMA when <see cref="FitOptions.EvaluateWithEma"/> and the pipeline keeps
    /// one) and the current model state (e.g. <see cref="TrainingSteps.Evaluate{TParams, TModelState, TBatch}(ModelLoss{TParams, TModelState, TBatch}, TParams, TModelState, IEnumerable{TBatch})"/>
    /// on held-out batches, plus any decoding scores); null skips validation.
    /// </param>
    /// <param name="options">Epochs, stopping and the observers.</param>
    /// <param name="cancellation">Stops the fit cleanly after the current step (the state so far is returned and saved).</param>
    /// <returns>
    /// The final state (the caller owns it; when no step ran it shares its tensors with <paramref name="state"/>), the
    /// epoch history and why the fit ended.
    /// </returns>
    /// <exception cref="InvalidOperationException">
    /// The training loss was not finite and <see cref="FitOptions.StopOnNonFiniteLoss"/> is set; or the pipeline is an
    /// <see cref="IMetricFed"/> whose metric the validation does not report (the message lists those it does).
    /// </exception>
    /// <exception cref="ArgumentException">The pipeline is an <see cref="IMetricFed"/> and <paramref name="validate"/> is null.</exception>
    public static FitResult<TParams, TModelState> Run<TParams, TModelState, TBatch>(
        ModelLoss<TParams, TModelState, TBatch> model,
        IGradientTransformation optimizer,
        TrainState<TParams, TModelState> state,
        TrainingData<TBatch> data,
        Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        return RunSteps<TParams, TModelState, TBatch>((current, batch) => TrainingSteps.Step(model, optimizer, current, batch), optimizer, state, data, validate, options, cancellation);
    }

    /// <summary>
    /// The loop of <see cref="Run{TParams, TModelState, TBatch}"/> with another step function in place of <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> (a data-parallel step, for
    /// one); everything else is the same loop.
    /// </summary>
    /// <param name="step">The training step; it must not change or release the state or batch it is given.</param>
    /// <param name="optimizer">The step's pipeline, only read for the learning rate the observers see (<see cref="StepEnd{TParams, TModelState}.LearningRate"/>); null shows none.</param>
    /// <param name="state">The starting state; it stays the caller's and is not released.</param>
    /// <param name="data">The training batches, restartable at a data position.</param>
    /// <param name="validate">Validation metrics for given parameters and model state; null skips validation.</param>
    /// <param name="options">Epochs, stopping and the observers.</param>
    /// <param name="cancellation">Stops the fit cleanly after the current step.</param>
    /// <returns>The final state (the caller owns it), the epoch history and why the fit ended.</returns>
    /// <exception cref="InvalidOperationException">As <see cref="Run{TParams, TModelState, TBatch}"/>.</exception>
    /// <exception cref="ArgumentException">As <see cref="Run{TParams, TModelState, TBatch}"/>.</exception>
    public static FitResult<TParams, TModelState> RunSteps<TParams, TModelState, TBatch>(
        TrainStep<TParams, TModelState, TBatch> step,
        IGradientTransformation? optimizer,
        TrainState<TParams, TModelState> state,
        TrainingData<TBatch> data,
        Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (data.BatchesPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(data), data.BatchesPerEpoch, "An epoch needs at least one batch.");
        var clock = Stopwatch.StartNew();
        var fed = optimizer as IMetricFed;
        if (fed is not null && validate is null)
            throw new ArgumentException($"The pipeline follows the validation metric '{fed.Monitor}' ({fed.GetType().Name}), but the fit has no validation: pass a validate function that reports it.", nameof(validate));
        var observers = options.Observers;
        foreach (var observer in observers) observer.FitStarted(new FitStart<TParams, TModelState>(state, options.Epochs, data.BatchesPerEpoch));
        var history = new List<EpochReport>();
        var stopping = new StoppingRule(options.EarlyStopping);
        var current = state;
        var ownsCurrent = false;
        var end = FitEnd.Completed;

        void Replace(TrainState<TParams, TModelState> next)
        {
            if (ownsCurrent) TrainState.Dispose(current);
            (current, ownsCurrent) = (next, true);
        }

        while (current.Position.Epoch < options.Epochs && end == FitEnd.Completed)
        {
            var epoch = current.Position.Epoch;
            var epochClock = Stopwatch.StartNew();
            foreach (var observer in observers) observer.EpochStarted(new EpochStart(epoch, options.Epochs, data.BatchesPerEpoch, current.Position.Batch));
            var sums = new Dictionary<string, double>(StringComparer.Ordinal);
            var steps = 0;
            foreach (var batch in data.Batches(current.Position))
            {
                var appliedRate = optimizer is null ? null : Optimizer.LearningRate(current.OptimizerState);
                StepResult<TParams, TModelState> result;
                try
                {
                    result = step(current, batch);
                }
                finally
                {
                    (batch as IDisposable)?.Dispose();
                }
                Replace(result.State);
                var loss = result.Metrics[TrainingSteps.LossName];
                if (options.StopOnNonFiniteLoss && !double.IsFinite(loss))
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"The training loss is {loss} at step {current.Step} (epoch {epoch}, batch {current.Position.Batch - 1}); stopping. Lower the learning rate, clip gradients, or wrap the pipeline in SkipNonFinite and turn StopOnNonFiniteLoss off."));
                foreach (var (name, value) in result.Metrics) sums[name] = sums.GetValueOrDefault(name) + value;
                steps++;
                var stepEnd = new StepEnd<TParams, TModelState>(current, epoch, data.BatchesPerEpoch, result.Metrics, clock.Elapsed)
                    { LearningRate = optimizer is null ? null : Optimizer.LearningRate(current.OptimizerState), AppliedLearningRate = appliedRate };
                foreach (var observer in observers) observer.StepFinished(stepEnd);
                if (cancellation.IsCancellationRequested) { end = FitEnd.Cancelled; break; }
                if (options.TimeLimit is { } limit && clock.Elapsed >= limit) { end = FitEnd.OutOfTime; break; }
            }
            var reached = current.Position.Batch;
            if (end == FitEnd.Completed) current = current with { Position = new DataPosition(epoch + 1, 0) };
            foreach (var observer in observers) observer.EpochStepsFinished(new EpochStepsEnd(epoch, steps, end == FitEnd.Completed ? data.BatchesPerEpoch : reached, end));

            var validation = Validate(current, validate, options.EvaluateWithEma);
            // A metric-fed pipeline sees each completed epoch's validation once (an interrupted epoch is validated again,
            // complete, after a resume, so feeding it would count it twice).
            if (fed is not null && end == FitEnd.Completed && ownsCurrent) current = Feed(fed, current, validation);
            var report = new EpochReport(epoch, current.Step,
                sums.ToDictionary(pair => pair.Key, pair => pair.Value / Math.Max(1, steps), StringComparer.Ordinal), validation, epochClock.Elapsed.TotalSeconds);
            history.Add(report);
            if (end == FitEnd.Completed && stopping.ShouldStop(report)) end = FitEnd.EarlyStopped;
            var epochEnd = new EpochEnd<TParams, TModelState>(current, report, end);
            foreach (var observer in observers)
                if (observer.EpochFinished(epochEnd) == FitDecision.Stop && end == FitEnd.Completed) end = FitEnd.StoppedByCallback;
        }
        return new FitResult<TParams, TModelState>(current, history, end);
    }

    /// <summary>The state with the pipeline's state after seeing its metric; the replaced tensors of the old state are released.</summary>
    static TrainState<TParams, TModelState> Feed<TParams, TModelState>(IMetricFed fed, TrainState<TParams, TModelState> state, IReadOnlyDictionary<string, double> validation)
    {
        if (!validation.TryGetValue(fed.Monitor, out var value))
            throw new InvalidOperationException(
                $"The pipeline follows the validation metric '{fed.Monitor}' ({fed.GetType().Name}), which the validation does not report; it reports [{string.Join(", ", validation.Keys)}].");
        var next = state with { OptimizerState = fed.Observe(state.OptimizerState, value) };
        var kept = new HashSet<object>(TrainStateTree.Tensors(next), ReferenceEqualityComparer.Instance);
        foreach (var tensor in TrainStateTree.Tensors(state))
            if (!kept.Contains(tensor)) tensor.Dispose();
        return next;
    }

    static IReadOnlyDictionary<string, double> Validate<TParams, TModelState>(TrainState<TParams, TModelState> state, Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate, bool withEma)
    {
        if (validate is null) return new Dictionary<string, double>();
        var parameters = withEma ? TrainingSteps.EvaluationParameters(state) : Functional.Core.Tree.Map(state.Parameters, p => p.alias());
        try
        {
            return validate(parameters, state.ModelState);
        }
        finally
        {
            Functional.Core.Tree.Dispose(parameters);
        }
    }
}
