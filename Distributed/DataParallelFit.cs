using Functional.Core;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Distributed;

/// <summary>
/// <see cref="Fit.RunSteps{TParams, TModelState, TBatch}"/>
/// on every rank of a job with <see cref="DataParallel.Step{TParams, TModelState, TBatch}"/>, arranged so that the ranks can never
/// wait for one another forever: they start from the same state (checked), stop after the same step, and a failure on
/// one rank ends the whole job.
/// </summary>
public static class DataParallelFit
{
    /// <summary>
    /// Trains on every rank from <paramref name="state"/>, which must be the same on every rank (make it so with
    /// <see cref="StateSync.Broadcast{TParams, TModelState}"/>; it is checked with <see cref="StateSync.Verify{TParams, TModelState}"/>).
    /// </summary>
    /// <param name="communicator">The job.</param>
    /// <param name="model">The model, whose loss is computed inside it.</param>
    /// <param name="optimizer">The pipeline; it sees the averaged gradients.</param>
    /// <param name="state">The common starting state; it stays the caller's.</param>
    /// <param name="shards">This rank's shards of the global batches (<see cref="DataParallel.ShardPlan"/>), one per global batch, the same count on every rank.</param>
    /// <param name="validate">Runs on every rank and must give every rank the same numbers (a deterministic evaluation of the same data does), since early stopping depends on it; null skips validation.</param>
    /// <param name="options">
    /// As for a single process. The observers run on rank 0 only (<see cref="RootObserver"/>). The time limit and
    /// <paramref name="cancellation"/> of any rank stop every rank after the same step: the request travels in that
    /// step's all-reduce.
    /// </param>
    /// <param name="cancellation">Asks this rank's job to stop after the current step.</param>
    /// <remarks>
    /// An exception on one rank (an observer's full disk, a model error) would leave the others waiting in the next
    /// all-reduce, so when the job has more than one rank the failing rank writes the error to standard error and ends
    /// the job with <c>MPI_Abort</c> (exit code 1 on every rank). The loss and metrics reported are means over the ranks.
    /// </remarks>
    /// <returns>The final state (the same on every rank; the caller owns it), the history and why the fit ended.</returns>
    public static FitResult<TParams, TModelState> Run<TParams, TModelState, TBatch>(
        Communicator communicator,
        ModelLoss<TParams, TModelState, TBatch> model,
        IGradientTransformation optimizer,
        TrainState<TParams, TModelState> state,
        TrainingData<TBatch> shards,
        Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        return Run(communicator, model, optimizer, state, shards, validate, options, DataParallelOptions.Default, cancellation);
    }

    /// <summary>
    /// As <see cref="Run{TParams, TModelState, TBatch}(Communicator, ModelLoss{TParams, TModelState, TBatch}, IGradientTransformation, TrainState{TParams, TModelState}, TrainingData{TBatch}, Func{TParams, TModelState, IReadOnlyDictionary{string, double}}?, FitOptions, CancellationToken)"/>,
    /// exchanging gradients as <paramref name="exchange"/> says (overlapped with backward or not; the same on every rank).
    /// </summary>
    /// <param name="communicator">The job.</param>
    /// <param name="model">The model, whose loss is computed inside it.</param>
    /// <param name="optimizer">The pipeline; it sees the averaged gradients.</param>
    /// <param name="state">The common starting state; it stays the caller's.</param>
    /// <param name="shards">This rank's shards of the global batches, one per global batch, the same count on every rank.</param>
    /// <param name="validate">As for the other overload.</param>
    /// <param name="options">As for the other overload.</param>
    /// <param name="exchange">How each step reduces its gradients (<see cref="DataParallelOptions.Default"/>: as the other overload).</param>
    /// <param name="cancellation">As for the other overload.</param>
    /// <returns>The final state (the same on every rank; the caller owns it), the history and why the fit ended.</returns>
    public static FitResult<TParams, TModelState> Run<TParams, TModelState, TBatch>(
        Communicator communicator,
        ModelLoss<TParams, TModelState, TBatch> model,
        IGradientTransformation optimizer,
        TrainState<TParams, TModelState> state,
        TrainingData<TBatch> shards,
        Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        DataParallelOptions exchange,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(exchange);
        exchange.Validated();
        return Run(communicator, (current, batch, stop) => DataParallel.Exchange(communicator, model, optimizer, current, batch, stop, exchange), optimizer, state, shards, validate, options, cancellation);
    }

    /// <summary>
    /// As <see cref="Run{TParams, TModelState, TBatch}(Communicator, ModelLoss{TParams, TModelState, TBatch}, IGradientTransformation, TrainState{TParams, TModelState}, TrainingData{TBatch}, Func{TParams, TModelState, IReadOnlyDictionary{string, double}}?, FitOptions, CancellationToken)"/>
    /// with <see cref="ExactDataParallel"/> steps, one per update: the result is the same bits for any rank count.
    /// </summary>
    /// <param name="communicator">The job.</param>
    /// <param name="model">The model, whose loss is computed inside it.</param>
    /// <param name="optimizer">The pipeline; it sees each update's mean gradient (for gradient accumulation give it several batches per update, <see cref="ExactShares.Data"/>, not an <see cref="Accumulate"/>).</param>
    /// <param name="state">The common starting state; it stays the caller's.</param>
    /// <param name="shares">This rank's shares of the updates (<see cref="ExactShares.Data"/>), the same count on every rank.</param>
    /// <param name="validate">As for the other overload.</param>
    /// <param name="options">As for the other overload.</param>
    /// <param name="cancellation">As for the other overload.</param>
    /// <returns>The final state (the same on every rank; the caller owns it), the history and why the fit ended.</returns>
    public static FitResult<TParams, TModelState> RunExact<TParams, TModelState, TBatch>(
        Communicator communicator,
        ModelLoss<TParams, TModelState, TBatch> model,
        IGradientTransformation optimizer,
        TrainState<TParams, TModelState> state,
        TrainingData<ExactShare<TBatch>> shares,
        Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        return Run(communicator, (current, share, stop) => ExactDataParallel.Exchange(communicator, model, optimizer, current, share, stop), optimizer, state, shares, validate, options, cancellation);
    }

    /// <summary>
    /// As <see cref="RunExact{TParams, TModelState, TBatch}(Communicator, ModelLoss{TParams, TModelState, TBatch}, IGradientTransformation, TrainState{TParams, TModelState}, TrainingData{ExactShare{TBatch}}, Func{TParams, TModelState, IReadOnlyDictionary{string, double}}?, FitOptions, CancellationToken)"/>
    /// with the optimizer state sharded across the ranks (ZeRO stage 1, <see cref="ZeroShards"/>): each rank keeps and
    /// updates the state of its own parameter leaves only. The parameters, optimizer state and model state are the same
    /// bits as unsharded, so the checkpoints are too (the observers get the whole state as <paramref name="zero"/> says),
    /// and a run resumes from any checkpoint with any rank count, sharded or not.
    /// </summary>
    /// <param name="communicator">The job.</param>
    /// <param name="model">The model, whose loss is computed inside it.</param>
    /// <param name="optimizer">The pipeline: stages that work leaf by leaf and global-norm clipping (<see cref="ZeroShards.Create"/> refuses others by name).</param>
    /// <param name="state">The common starting state, with the whole optimizer state (fresh or loaded); it stays the caller's.</param>
    /// <param name="shares">As for the unsharded overload.</param>
    /// <param name="validate">As for the other overloads.</param>
    /// <param name="options">As for the other overloads.</param>
    /// <param name="cancellation">As for the other overloads.</param>
    /// <param name="zero">When the observers see the whole optimizer state.</param>
    /// <returns>The final state with the whole optimizer state (gathered; the same on every rank; the caller owns it), the history and why the fit ended.</returns>
    /// <exception cref="ArgumentException">A stage of the pipeline cannot be sharded with the same bits.</exception>
    public static FitResult<TParams, TModelState> RunExact<TParams, TModelState, TBatch>(
        Communicator communicator,
        ModelLoss<TParams, TModelState, TBatch> model,
        IGradientTransformation optimizer,
        TrainState<TParams, TModelState> state,
        TrainingData<ExactShare<TBatch>> shares,
        Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        CancellationToken cancellation,
        ZeroOptions zero)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(zero);
        var shards = ZeroShards.Create(communicator, optimizer, state.Parameters);
        StateSync.Verify(communicator, state);
        var sharded = state with { OptimizerState = shards.Shard(state.OptimizerState, state.Parameters) };
        FitResult<TParams, TModelState>? result = null;
        try
        {
            result = Run(communicator, (current, share, stop) => ExactDataParallel.Exchange(communicator, model, optimizer, current, share, stop, shards), optimizer, sharded, shares, validate, options, cancellation,
                (observer, stopAgreed) => new ZeroGatheringObserver(shards, observer, zero, stopAgreed));
            return result with { State = result.State with { OptimizerState = shards.Gather(result.State.OptimizerState) } };
        }
        finally
        {
            foreach (var tensor in OptimizerStates.Tensors(sharded.OptimizerState)) tensor.Dispose();
            if (result is not null && !ReferenceEquals(result.State.OptimizerState, sharded.OptimizerState))
                foreach (var tensor in OptimizerStates.Tensors(result.State.OptimizerState)) tensor.Dispose();
        }
    }

    static FitResult<TParams, TModelState> Run<TParams, TModelState, TBatch>(
        Communicator communicator,
        Func<TrainState<TParams, TModelState>, TBatch, bool, (StepResult<TParams, TModelState> Result, bool Stop)> exchange,
        IGradientTransformation optimizer,
        TrainState<TParams, TModelState> state,
        TrainingData<TBatch> shards,
        Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? validate,
        FitOptions options,
        CancellationToken cancellation,
        Func<IFitObserver, Func<bool>, IFitObserver>? wrap = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(options);
        // A sharded state differs between ranks by design; its whole state was verified before it was cut.
        if (wrap is null) StateSync.Verify(communicator, state);
        using var local = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (options.TimeLimit is { } limit) local.CancelAfter(limit);
        using var agreed = new CancellationTokenSource();
        TrainStep<TParams, TModelState, TBatch> step = (current, batch) =>
        {
            var (result, stop) = exchange(current, batch, local.IsCancellationRequested);
            if (stop) agreed.Cancel();
            return result;
        };
        // A stop this rank's caller did not ask for is the time budget running out (here or on another rank).
        FitEnd StopReason() => cancellation.IsCancellationRequested || options.TimeLimit is null ? FitEnd.Cancelled : FitEnd.OutOfTime;
        IFitObserver root = new RootObserver(communicator, [new StopReasonObserver(options.Observers, StopReason)]);
        var observer = wrap is null ? root : wrap(root, () => agreed.IsCancellationRequested);
        var distributed = options with { TimeLimit = null, Observers = [observer] };
        try
        {
            var result = Fit.RunSteps(step, optimizer, state, shards, validate, distributed, agreed.Token);
            return result.End == FitEnd.Cancelled ? result with { End = StopReason() } : result;
        }
        catch (Exception error) when (communicator.Size > 1)
        {
            Console.Error.WriteLine($"rank {communicator.Rank} of {communicator.Size}: the data-parallel fit failed; ending the job (MPI_Abort).{Environment.NewLine}{error}");
            Console.Error.Flush();
            communicator.Abort(1);
            throw;
        }
        finally
        {
            (observer as IDisposable)?.Dispose();
        }
    }
}
