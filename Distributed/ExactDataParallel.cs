using Functional.Core;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// Data-parallel training whose result does not depend on the number of ranks, bit for bit: each global batch is cut
/// into a fixed number <c>M</c> of micro-shards (<see cref="MicroShards"/>), each micro-shard's gradient is computed
/// alone, and the gradients are summed in micro-shard order by every rank after one exchange that copies them without
/// arithmetic (<see cref="MicroShardExchange"/>). 1, 2, 3 or 4 ranks (any <c>R &lt;= M</c>, also when <c>R</c> does not divide
/// <c>M</c>) give the same parameters, optimizer state and model state as one process.
/// </summary>
/// <remarks>
/// <para>
/// The sum is the one <see cref="Accumulate"/> makes: <c>(((g_0 + g_1) + g_2) + ...) / M</c>, so for a model without model
/// state one process training with <c>Accumulate(inner, M)</c> on the micro-shards reaches the same parameters.
/// </para>
/// <para>
/// An update may span <c>k</c> global batches (<see cref="ExactShare{TBatch}.Batches"/>, gradient accumulation): every
/// rank computes its micro-shards of all <c>k</c> batches and the ranks exchange once per update, not per batch. The
/// update's gradient is the mean over the <c>k</c> batches of each batch's mean, with <see cref="Accumulate"/>'s
/// arithmetic again (the same bits as one process stepping batch by batch through <c>Accumulate(inner, k)</c>).
/// </para>
/// <para>
/// Model state: every micro-shard of an update starts from the update's model state, and the next model state is the
/// mean of the micro-shards' next states taken as the gradients are (floating-point leaves; other leaves, such as
/// batch norm's counter, are taken from this rank's first micro-shard, and advance once per update). Randomness: the
/// state's generator draws <c>k·M</c> seeds and micro-shard <c>(j, i)</c> draws from the <c>j·M + i</c>-th, whichever rank
/// computes it. The cost: <c>M</c> smaller backward passes instead of one per rank, and an all-gather that moves the
/// <c>k·M</c> gradients to every rank (<c>k·M</c> times the bytes of one gradient) instead of an all-reduce of one.
/// </para>
/// </remarks>
public static class ExactDataParallel
{
    /// <summary>
    /// One update on this rank's <paramref name="share"/> (<see cref="ExactShares.Data"/> makes them): every rank must
    /// call it with the same state, model, pipeline and micro-shard count; every rank gets the same new state.
    /// </summary>
    /// <remarks>Pure (inputs neither changed nor released). The loss and metrics are means over the micro-shards, in micro-shard order.</remarks>
    /// <exception cref="ArgumentException">The share is not this rank's run of micro-shards, or its batches are uneven.</exception>
    /// <exception cref="MpiException">The exchange failed (the message names the rank).</exception>
    public static StepResult<TParams, TModelState> Step<TParams, TModelState, TBatch>(Communicator communicator, ModelLoss<TParams, TModelState, TBatch> model, IGradientTransformation optimizer, TrainState<TParams, TModelState> state, ExactShare<TBatch> share) =>
        Exchange(communicator, model, optimizer, state, share, stopRequested: false).Result;

    /// <summary>
    /// <see cref="Step{TParams, TModelState, TBatch}(Communicator, ModelLoss{TParams, TModelState, TBatch}, IGradientTransformation, TrainState{TParams, TModelState}, ExactShare{TBatch})"/>
    /// under ZeRO stage 1: <paramref name="state"/>'s optimizer state is this rank's shard (<see cref="ZeroShards.Shard"/>),
    /// and so is the result's; the parameters and model state are the unsharded step's bits.
    /// </summary>
    /// <exception cref="ArgumentException">As the unsharded step.</exception>
    /// <exception cref="MpiException">An exchange failed.</exception>
    public static StepResult<TParams, TModelState> StepSharded<TParams, TModelState, TBatch>(Communicator communicator, ModelLoss<TParams, TModelState, TBatch> model, TrainState<TParams, TModelState> state, ExactShare<TBatch> share, ZeroShards zero) =>
        Exchange(communicator, model, Check(zero).Optimizer, state, share, stopRequested: false, zero).Result;

    static ZeroShards Check(ZeroShards zero) => zero ?? throw new ArgumentNullException(nameof(zero));

    /// <summary>The step, also agreeing on whether to stop (any rank's <paramref name="stopRequested"/>).</summary>
    /// <remarks>
    /// With <paramref name="zero"/> (ZeRO stage 1), <paramref name="state"/>'s optimizer state is this rank's shard
    /// (<see cref="ZeroShards.Shard"/>) and so is the returned one; this rank sums and updates only the parameter leaves it
    /// owns, and the updated leaves are all-gathered. The parameters and model state are the same bits as without.
    /// </remarks>
    internal static (StepResult<TParams, TModelState> Result, bool Stop) Exchange<TParams, TModelState, TBatch>(
        Communicator communicator, ModelLoss<TParams, TModelState, TBatch> model, IGradientTransformation optimizer, TrainState<TParams, TModelState> state, ExactShare<TBatch> share, bool stopRequested,
        ZeroShards? zero = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(share);
        var microShards = share.MicroShards;
        var run = MicroShards.Of(microShards, communicator.Rank, communicator.Size);
        if (share.Batches.Count == 0) throw new ArgumentException($"Rank {communicator.Rank}: an update needs at least one global batch, got none.", nameof(share));
        if (share.First != run.First || share.Batches.Any(b => b.Count != run.Count))
            throw new ArgumentException($"Rank {communicator.Rank} of {communicator.Size} computes micro-shards {run.First} .. {run.First + run.Count - 1} of {microShards}; got a share starting at {share.First} with runs of {string.Join(", ", share.Batches.Select(b => b.Count))}.", nameof(share));
        var device = Tree.Leaves(state.Parameters).FirstOrDefault()?.device;
        using var shared = new torch.Generator(0, device);
        shared.set_state(state.RandomState);
        var batches = share.Batches.Count;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var stop = false;
        var next = Memory.Scoped(() =>
        {
            long[] seeds;
            using (var drawn = torch.randint(long.MaxValue, [batches * microShards], dtype: torch.int64, device: device, generator: shared))
            using (var host = drawn.cpu())
                seeds = host.data<long>().ToArray();
            string[]? names = null;
            TModelState? firstNext = default;
            var mine = new List<IReadOnlyList<MicroShardExchange.Part>>();
            for (var j = 0; j < batches; j++)
            {
                var row = new List<MicroShardExchange.Part>();
                for (var i = 0; i < run.Count; i++)
                {
                    using var generator = new torch.Generator(unchecked((ulong)seeds[j * microShards + run.First + i]), device);
                    var (part, named, modelState) = Micro(model, state, share.Batches[j][i], generator);
                    if (names is null) names = named;
                    else if (!names.SequenceEqual(named))
                        throw new ArgumentException($"The model's metrics differ between micro-shards: [{string.Join(", ", names)}] and [{string.Join(", ", named)}].");
                    if (firstNext is null) firstNext = modelState;
                    row.Add(part);
                }
                mine.Add(row);
            }
            var gathered = MicroShardExchange.Gather(communicator, microShards, mine, stopRequested);
            stop = gathered.Stop;
            var leaves = Tree.Flatten(state.Parameters);
            var leafCount = leaves.Count;
            // Under ZeRO-1 only the owned leaves' gradients are summed (the same arithmetic leaf by leaf), and the model state's.
            var summed = Enumerable.Range(0, gathered.Parts[0][0].Tensors.Count)
                .Where(t => zero is null || t >= leafCount || zero.Partition.Owners[t] == zero.Rank).ToArray();
            var batchMeans = gathered.Parts.Select(row => MicroShardExchange.Mean(row.Select(p => (IReadOnlyList<torch.Tensor>)summed.Select(t => p.Tensors[t]).ToArray()).ToArray())).ToArray();
            var update = MicroShardExchange.Mean(batchMeans);
            var numbers = MicroShardExchange.Mean(gathered.Parts.Select(row => MicroShardExchange.Mean(row.Select(p => p.Scalars).ToArray())).ToArray());
            metrics[TrainingSteps.LossName] = numbers[0];
            for (var n = 0; n < names!.Length; n++) metrics[names[n]] = numbers[n + 1];
            var gradientCount = summed.Count(t => t < leafCount);
            var (parameters, optimizerState) = zero is null
                ? Optimizer.Step(optimizer, Tree.Unflatten(state.Parameters, update.Take(leafCount)), state.OptimizerState, state.Parameters)
                : UpdateOwnedLeaves(zero, state, leaves, update.Take(gradientCount).ToArray());
            var floats = update.Skip(gradientCount).ToArray();
            var position = 0;
            var modelStateMean = Tree.Map(firstNext!, leaf => leaf.is_floating_point() ? floats[position++] : leaf);
            return new TrainState<TParams, TModelState>(parameters, optimizerState, state.Step + 1, shared.get_state(), state.Position with { Batch = state.Position.Batch + 1 }, modelStateMean);
        });
        return (new StepResult<TParams, TModelState>(next, metrics), stop);
    }

    // The optimizer step of ZeRO-1: the sharded pipeline on this rank's leaves (placeholders elsewhere), each owned leaf
    // moved as Optimizer.Step moves it (parameter.add(update)), then every leaf all-gathered from its owner.
    static OptimizerStep<TParams> UpdateOwnedLeaves<TParams, TModelState>(ZeroShards zero, TrainState<TParams, TModelState> state, IReadOnlyList<TreeLeaf> leaves, torch.Tensor[] ownedMeans)
    {
        var parameters = zero.Partition.Placeholders(leaves, zero.Rank);
        var owned = 0;
        var gradients = parameters.Select((p, i) => zero.Partition.Owners[i] == zero.Rank ? new TreeLeaf(p.Path, ownedMeans[owned++]) : p).ToArray();
        var result = zero.ShardedOptimizer.Update(gradients, state.OptimizerState, parameters);
        Tree.CheckSameLeaves(gradients, result.Updates);
        var updated = parameters.Select((p, i) => zero.Partition.Owners[i] == zero.Rank ? p.Value.add(result.Updates[i].Value, Scalars.One) : p.Value).ToArray();
        return new OptimizerStep<TParams>(Tree.Unflatten(state.Parameters, zero.AllGatherParameters(leaves, updated)), result.State);
    }

    // One micro-shard's gradient, next model state (floating-point leaves in the part) and numbers, alone.
    static (MicroShardExchange.Part Part, string[] Names, TModelState NextState) Micro<TParams, TModelState, TBatch>(ModelLoss<TParams, TModelState, TBatch> model, TrainState<TParams, TModelState> state, TBatch batch, torch.Generator generator)
    {
        var (loss, gradient, named, modelState) = ShardGradient<TParams, TModelState>.Compute(model, state, batch, generator);
        var tensors = Tree.Leaves(gradient).Concat(Tree.Leaves(modelState).Where(leaf => leaf.is_floating_point())).ToArray();
        var numbers = new List<double> { ShardGradient<TParams, TModelState>.Number(TrainingSteps.LossName, loss) };
        numbers.AddRange(named.Values);
        return (new MicroShardExchange.Part(tensors, numbers), named.Keys.ToArray(), modelState);
    }
}
