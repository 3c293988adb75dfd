using Functional.Core;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// Data-parallel training: every rank holds the same train state, takes its own shard of each global batch
/// (<see cref="Shard"/>), and the gradients are averaged over the ranks by one all-reduce before the optimizer
/// pipeline, so every rank makes the same update — the update of one process on the whole global batch.
/// </summary>
/// <remarks>
/// <para>
/// Model state (batch-norm running statistics, spectral vectors) is averaged over the ranks after every step, in the
/// same all-reduce as the gradients, so every rank keeps the same state and rank 0's checkpoint is every rank's. Each
/// rank's model normalises with its own shard's batch statistics (as PyTorch's DDP without SyncBatchNorm); for equal
/// shards the averaged running mean equals the running mean of the global batch, and the averaged running variance is
/// the mean of the shards' variances (it omits the spread between the shards' means). Integer leaves (counters) advance
/// alike on every rank and are kept as they are.
/// </para>
/// <para>
/// Why a step and not a gradient-transformation stage: the one all-reduce also carries the loss, the model's metrics
/// and the ranks' stop requests (<see cref="DataParallelFit"/>), which a stage never sees; the optimizer state keeps
/// exactly its single-process structure (checkpoints of both load the same way) and an explicit
/// <see cref="FusedAdam"/> keeps its fused kernel; and transformations stay pure functions without communication.
/// </para>
/// <para>
/// The equivalence: the averaged gradient is <c>(g_0 + ... + g_{R-1}) / R</c>, the mean of the ranks' mean-loss
/// gradients. It equals the gradient of the mean loss over the global batch when the loss is a mean over examples and
/// every shard holds the same number of examples (a global batch divisible by the rank count). A loss that is a mean
/// over tokens of varying count per shard, or shards of unequal size, weight the ranks equally instead. Algebraically
/// this is <see cref="Accumulate"/> with <c>K = R</c> over the shards, and with two ranks it is that bitwise (each sum is
/// <c>a + b</c>); against one step on the global batch it agrees up to float rounding (sums taken in another order).
/// For a result that is the same bits for any rank count, use <see cref="ExactDataParallel"/>.
/// </para>
/// </remarks>
public static class DataParallel
{
    /// <summary>
    /// One data-parallel step on this rank's <paramref name="shard"/>: <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/>
    /// with the gradients, the loss and the metrics averaged over all ranks by one all-reduce. Every rank must call it
    /// with the same state (and model, pipeline and metric names); every rank gets the same new state.
    /// </summary>
    /// <remarks>
    /// Pure like <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> (inputs neither changed nor released). Randomness
    /// (dropout): the state's generator draws one seed per rank and rank <c>r</c>'s model draws from a generator seeded
    /// with the <c>r</c>-th, so shards get independent masks while the state's random state stays the same on every rank.
    /// The gradient leaves must share one dtype (float32 or float64).
    /// </remarks>
    /// <exception cref="MpiException">The all-reduce failed (the message names the rank).</exception>
    public static StepResult<TParams, TModelState> Step<TParams, TModelState, TBatch>(Communicator communicator, ModelLoss<TParams, TModelState, TBatch> model, IGradientTransformation optimizer, TrainState<TParams, TModelState> state, TBatch shard) =>
        Exchange(communicator, model, optimizer, state, shard, stopRequested: false, DataParallelOptions.Default).Result;

    /// <summary>
    /// As <see cref="Step{TParams, TModelState, TBatch}"/>,
    /// exchanging the gradients as <paramref name="options"/> say (every rank must give the same options). With two ranks,
    /// overlap on and off give the same bits; with more, the same up to float rounding (<see cref="DataParallelOptions.Overlap"/>).
    /// </summary>
    /// <exception cref="MpiException">An all-reduce failed (the message names the rank).</exception>
    public static StepResult<TParams, TModelState> StepWith<TParams, TModelState, TBatch>(Communicator communicator, ModelLoss<TParams, TModelState, TBatch> model, IGradientTransformation optimizer, TrainState<TParams, TModelState> state, TBatch shard, DataParallelOptions options) =>
        Exchange(communicator, model, optimizer, state, shard, stopRequested: false, options).Result;

    /// <summary>
    /// The step, also agreeing on whether to stop: the result says whether any rank asked to stop
    /// (<paramref name="stopRequested"/>) at this step, so that all ranks stop after the same one.
    /// </summary>
    internal static (StepResult<TParams, TModelState> Result, bool Stop) Exchange<TParams, TModelState, TBatch>(
        Communicator communicator, ModelLoss<TParams, TModelState, TBatch> model, IGradientTransformation optimizer, TrainState<TParams, TModelState> state, TBatch shard, bool stopRequested, DataParallelOptions options)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        var device = Tree.Leaves(state.Parameters).FirstOrDefault()?.device;
        using var shared = new torch.Generator(0, device);
        shared.set_state(state.RandomState);
        using var local = RankGenerator(shared, communicator, device);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var stop = false;
        var next = Memory.Scoped(() =>
        {
            using var overlapped = BucketReduction(communicator, state.Parameters, options);
            var (loss, gradient, named, modelState) = overlapped is null
                ? ShardGradient<TParams, TModelState>.Compute(model, state, shard, local)
                : ShardGradient<TParams, TModelState>.Compute(model, state, shard, local, parameters => Tree.Unflatten(parameters, overlapped.Watch(Tree.Leaves(parameters))));
            var backwardEnded = System.Diagnostics.Stopwatch.GetTimestamp();
            var values = torch.tensor(named.Values.ToArray(), dtype: torch.float64);
            var gradientLeaves = Tree.Leaves(gradient);
            var averagedState = Tree.Leaves(modelState).Where(IsFloatingPoint).ToArray();
            IReadOnlyList<torch.Tensor> meanGradients, meanState;
            GradientBuffer.Result reduced;
            if (overlapped is null)
            {
                reduced = GradientBuffer.AllReduceMean(communicator, [.. gradientLeaves, .. averagedState], [loss, values], stopRequested);
                meanGradients = reduced.Gradients.Take(gradientLeaves.Count).ToArray();
                meanState = reduced.Gradients.Skip(gradientLeaves.Count).ToArray();
            }
            else
            {
                // The buckets first (their reductions started during backward), then the small tail.
                meanGradients = overlapped.Finish(gradientLeaves);
                reduced = GradientBuffer.AllReduceMean(communicator, gradientLeaves[0].dtype, gradientLeaves[0].device, averagedState, [loss, values], stopRequested);
                meanState = reduced.Gradients;
            }
            var meansReady = System.Diagnostics.Stopwatch.GetTimestamp();
            var (started, completed) = overlapped?.InBackward ?? (0, 0);
            communicator.RecordExchange(new ExchangeTiming(backwardEnded, meansReady, overlapped?.BucketCount ?? 0, started, completed));
            stop = reduced.Stop;
            metrics[TrainingSteps.LossName] = reduced.Scalars[0];
            foreach (var (name, i) in named.Keys.Select((name, i) => (name, i))) metrics[name] = reduced.Scalars[i + 1];
            var mean = Tree.Unflatten(gradient, meanGradients);
            var (parameters, optimizerState) = Optimizer.Step(optimizer, mean, state.OptimizerState, state.Parameters);
            return new TrainState<TParams, TModelState>(parameters, optimizerState, state.Step + 1, shared.get_state(), state.Position with { Batch = state.Position.Batch + 1 },
                RankMean(modelState, meanState));
        });
        return (new StepResult<TParams, TModelState>(next, metrics), stop);
    }

    /// <summary>The overlapped reduction <paramref name="options"/> ask for, or null for one all-reduce after backward.</summary>
    static IBucketReduction? BucketReduction<TParams>(Communicator communicator, TParams parameters, DataParallelOptions options)
    {
        if (!options.Overlap) return null;
        var leaves = Tree.Flatten(parameters);
        return options.Progress == OverlapProgress.CommunicationThread
            ? new OverlappedReduction(communicator, leaves, options.BucketBytes)
            : new NonBlockingReduction(communicator, leaves, options.BucketBytes, poll: options.Progress == OverlapProgress.PollingThread);
    }

    /// <summary>
    /// <paramref name="state"/> with its floating-point leaves replaced, in order, by <paramref name="means"/> (their means
    /// over the ranks); other leaves (counters such as batch norm's batches tracked, equal on every rank) are kept.
    /// </summary>
    static TModelState RankMean<TModelState>(TModelState state, IReadOnlyList<torch.Tensor> means)
    {
        var next = 0;
        return Tree.Map(state, leaf => IsFloatingPoint(leaf) ? means[next++] : leaf);
    }

    static bool IsFloatingPoint(torch.Tensor tensor) => tensor.is_floating_point();

    /// <summary>
    /// This rank's examples of a global batch: the contiguous slice <c>[n·r/R, n·(r+1)/R)</c> of <paramref name="batch"/>
    /// (n examples, rank r of R). The slices of all ranks, in rank order, are the batch; their sizes differ by at most
    /// one and are equal when R divides n.
    /// </summary>
    /// <exception cref="ArgumentException">The batch has fewer examples than there are ranks (a shard would be empty).</exception>
    public static int[] Shard(int[] batch, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        if (rank < 0 || rank >= ranks) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"Ranks are 0 .. {ranks - 1}.");
        if (batch.Length < ranks)
            throw new ArgumentException($"A batch of {batch.Length} examples cannot be split over {ranks} ranks (a shard would be empty); choose a batch size (and an example count) that leave every batch at least {ranks} examples.", nameof(batch));
        var start = (int)((long)batch.Length * rank / ranks);
        var end = (int)((long)batch.Length * (rank + 1) / ranks);
        return batch[start..end];
    }

    /// <summary>This rank's shard (<see cref="Shard"/>) of every batch of <paramref name="plan"/>, in plan order.</summary>
    public static IReadOnlyList<int[]> ShardPlan(IReadOnlyList<int[]> plan, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Select(batch => Shard(batch, rank, ranks)).ToArray();
    }

    // Every rank draws the same seeds from the shared generator (so its state advances alike) and keeps its own.
    static torch.Generator RankGenerator(torch.Generator shared, Communicator communicator, torch.Device? device)
    {
        using var seeds = torch.randint(long.MaxValue, [communicator.Size], dtype: torch.int64, device: device, generator: shared);
        using var mine = seeds[communicator.Rank];
        return new torch.Generator(unchecked((ulong)mine.item<long>()), device);
    }
}
