using System.Diagnostics;
using System.Globalization;
using Functional.Optimizers;

namespace Functional.Models;

/// <summary>
/// The training loop: epochs of <see cref="Training.Step{TParams, TBatch}"/> over restartable data, validation after
/// each epoch (with EMA weights when the pipeline keeps them), early stopping, a time budget, callbacks, a progress
/// bar, a JSON-lines log, a loss chart and checkpoints of the whole train state.
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
    /// <param name="validate">Validation metrics for given parameters (e.g. <see cref="Training.Evaluate{TParams, TBatch}"/> on held-out batches, plus any decoding scores); null skips validation.</param>
    /// <param name="options">Reporting, saving and stopping.</param>
    /// <param name="cancellation">Stops the fit cleanly after the current step (the state so far is returned and saved).</param>
    /// <returns>
    /// The final state (the caller owns it; when no step ran it shares its tensors with <paramref name="state"/>), the
    /// epoch history and why the fit ended.
    /// </returns>
    /// <exception cref="InvalidOperationException">The training loss was not finite and <see cref="FitOptions.StopOnNonFiniteLoss"/> is set.</exception>
    public static FitResult<TParams> Run<TParams, TBatch>(
        ModelLoss<TParams, TBatch> model,
        IGradientTransformation optimizer,
        TrainState<TParams> state,
        TrainingData<TBatch> data,
        Func<TParams, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (data.BatchesPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(data), data.BatchesPerEpoch, "An epoch needs at least one batch.");
        var clock = Stopwatch.StartNew();
        var curves = LossCurves.FromLog(options.LogPath, state.Step);
        using var log = options.LogPath is { } logPath ? new MetricsLog(logPath) : null;
        var history = new List<EpochReport>();
        var stopping = new StoppingRule(options.EarlyStopping);
        var current = state;
        var ownsCurrent = false;
        var end = FitEnd.Completed;

        void Replace(TrainState<TParams> next)
        {
            if (ownsCurrent) TrainState.Dispose(current);
            (current, ownsCurrent) = (next, true);
        }

        while (current.Position.Epoch < options.Epochs && end == FitEnd.Completed)
        {
            var epoch = current.Position.Epoch;
            var epochClock = Stopwatch.StartNew();
            var bar = options.Progress is { } output
                ? new ProgressBar(data.BatchesPerEpoch, output, options.InteractiveProgress, TimeSpan.FromSeconds(10), () => clock.Elapsed)
                : null;
            options.Progress?.WriteLine($"Epoch {epoch + 1}/{options.Epochs}");
            var sums = new Dictionary<string, double>(StringComparer.Ordinal);
            var steps = 0;
            foreach (var batch in data.Batches(current.Position))
            {
                StepResult<TParams> result;
                try
                {
                    result = Training.Step(model, optimizer, current, batch);
                }
                finally
                {
                    (batch as IDisposable)?.Dispose();
                }
                Replace(result.State);
                var loss = result.Metrics[Training.LossName];
                if (options.StopOnNonFiniteLoss && !double.IsFinite(loss))
                    throw new InvalidOperationException(
                        $"The training loss is {loss} at step {current.Step} (epoch {epoch}, batch {current.Position.Batch - 1}); stopping. Lower the learning rate, clip gradients, or wrap the pipeline in SkipNonFinite and turn StopOnNonFiniteLoss off.");
                foreach (var (name, value) in result.Metrics) sums[name] = sums.GetValueOrDefault(name) + value;
                steps++;
                curves.AddTrain(current.Step, loss);
                log?.Write(new MetricRecord(current.Step, epoch, "train", result.Metrics));
                bar?.Update(current.Position.Batch,
                    result.Metrics.Where(m => !options.StatefulMetrics.Contains(m.Key)).ToDictionary(),
                    result.Metrics.Where(m => options.StatefulMetrics.Contains(m.Key)).ToDictionary());
                if (options.Checkpoints is { } store && options.CheckpointEverySteps > 0 && current.Step % options.CheckpointEverySteps == 0)
                    TrainStateFile.Save(store, current);
                if (cancellation.IsCancellationRequested) { end = FitEnd.Cancelled; break; }
                if (options.TimeLimit is { } limit && clock.Elapsed >= limit) { end = FitEnd.OutOfTime; break; }
            }
            if (end == FitEnd.Completed) current = current with { Position = new DataPosition(epoch + 1, 0) };
            bar?.Finish();

            var validation = Validate(current, validate, options.EvaluateWithEma);
            var report = new EpochReport(epoch, current.Step,
                sums.ToDictionary(pair => pair.Key, pair => pair.Value / Math.Max(1, steps), StringComparer.Ordinal), validation, epochClock.Elapsed.TotalSeconds);
            history.Add(report);
            if (validation.Count > 0)
            {
                log?.Write(new MetricRecord(current.Step, epoch, "validation", validation));
                options.Progress?.WriteLine("validation: " + string.Join("  ", validation.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:G5}"))));
                if (validation.TryGetValue(Training.LossName, out var validationLoss)) curves.AddValidation(current.Step, validationLoss);
            }
            if (options.ChartPath is { } chartPath) curves.Draw(chartPath);
            if (options.Checkpoints is { } checkpoints) TrainStateFile.Save(checkpoints, current);
            if (end == FitEnd.Completed && stopping.ShouldStop(report)) end = FitEnd.EarlyStopped;
            foreach (var callback in options.Callbacks)
                if (callback(report) == FitDecision.Stop && end == FitEnd.Completed) end = FitEnd.StoppedByCallback;
        }
        return new FitResult<TParams>(current, history, end);
    }

    static IReadOnlyDictionary<string, double> Validate<TParams>(TrainState<TParams> state, Func<TParams, IReadOnlyDictionary<string, double>>? validate, bool withEma)
    {
        if (validate is null) return new Dictionary<string, double>();
        var parameters = withEma ? Training.EvaluationParameters(state) : Functional.Core.Tree.Map(state.Parameters, p => p.alias());
        try
        {
            return validate(parameters);
        }
        finally
        {
            Functional.Core.Tree.Dispose(parameters);
        }
    }
}
