using System.Runtime.InteropServices;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// ZeRO stage 1 for <see cref="ExactDataParallel"/> on one rank of a job: each rank keeps the optimizer state of the
/// parameter leaves it owns (<see cref="ZeroPartition.Balanced"/>), the other leaves' state being empty placeholders of
/// the same structure; it sums the gathered micro-shard gradients of its own leaves only, updates them, and the updated
/// leaves are all-gathered as bytes. The parameters, the optimizer state (gathered with <see cref="Gather"/>) and the
/// model state are the same bits as the unsharded step's, for any rank count.
/// </summary>
/// <remarks>
/// A sharded state keeps the record structure, scalars (step counters) and paths of the whole state, so
/// <see cref="Gather"/> can rebuild the whole one that a checkpoint holds, and <see cref="Shard"/> can cut a loaded
/// whole state for any rank count: checkpoints do not depend on sharding or on the rank count.
/// </remarks>
public sealed class ZeroShards
{
    readonly Communicator communicator;

    ZeroShards(Communicator communicator, ZeroPartition partition, IGradientTransformation optimizer, IGradientTransformation sharded)
    {
        this.communicator = communicator;
        Partition = partition;
        Optimizer = optimizer;
        ShardedOptimizer = sharded;
    }

    /// <summary>Which rank owns which leaf.</summary>
    public ZeroPartition Partition { get; }

    /// <summary>The pipeline as given (the one whose whole state checkpoints hold).</summary>
    public IGradientTransformation Optimizer { get; }

    /// <summary>The pipeline this rank runs on its placeholder leaves (global-norm clipping gathers its norm).</summary>
    internal IGradientTransformation ShardedOptimizer { get; }

    /// <summary>This rank.</summary>
    public int Rank => communicator.Rank;

    /// <summary>The sharding of <paramref name="optimizer"/>'s state for parameters shaped as <paramref name="parameters"/> on this job.</summary>
    /// <exception cref="ArgumentException">A stage of the pipeline cannot be sharded with the same bits (<see cref="ZeroOptimizer.ForShard"/> names it).</exception>
    public static ZeroShards Create<TParams>(Communicator communicator, IGradientTransformation optimizer, TParams parameters)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(optimizer);
        var partition = ZeroPartition.Balanced(Tree.Flatten(parameters), communicator.Size);
        ZeroShards? shards = null;
        var sharded = ZeroOptimizer.ForShard(optimizer, leaves => shards!.GlobalNorm(leaves));
        shards = new ZeroShards(communicator, partition, optimizer, sharded);
        return shards;
    }

    /// <summary>Refuses a pipeline whose state cannot be sharded with the same bits as unsharded, before any job starts.</summary>
    /// <exception cref="ArgumentException">A stage cannot be sharded exactly; the message names it and why.</exception>
    public static void CheckShardable(IGradientTransformation optimizer) =>
        ZeroOptimizer.ForShard(optimizer, _ => throw new InvalidOperationException("A check only builds the pipeline."));

    /// <summary>
    /// The optimizer-state bytes rank <paramref name="rank"/> of <paramref name="ranks"/> holds for <paramref name="optimizer"/>
    /// on <paramref name="parameters"/> (its state initialised on its placeholder leaves; the 0-d counters included).
    /// Needs no job: for planning and the memory table.
    /// </summary>
    public static long StateBytes<TParams>(IGradientTransformation optimizer, TParams parameters, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        using var scope = torch.NewDisposeScope();
        var leaves = Tree.Flatten(parameters);
        var state = optimizer.Init(ZeroPartition.Balanced(leaves, ranks).Placeholders(leaves, rank));
        return OptimizerStates.Tensors(state).Sum(t => t.numel() * t.ElementSize);
    }

    /// <summary>
    /// This rank's shard of <paramref name="whole"/> (the state of <see cref="Optimizer"/> for <paramref name="parameters"/>,
    /// fresh or loaded): the owned leaves' tensors as aliases, placeholders elsewhere. <paramref name="whole"/> stays the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not have the pipeline's structure.</exception>
    public object Shard<TParams>(object whole, TParams parameters)
    {
        ArgumentNullException.ThrowIfNull(whole);
        var template = Optimizer.Init(Partition.Placeholders(Tree.Flatten(parameters), Rank));
        var wholeTensors = OptimizerStates.Tensors(whole);
        var templateTensors = OptimizerStates.Tensors(template);
        if (wholeTensors.Count != templateTensors.Count)
            throw new ArgumentException($"The optimizer state has {wholeTensors.Count} tensors, but the pipeline's state has {templateTensors.Count}; it is not a state of this pipeline.", nameof(whole));
        var kept = new HashSet<torch.Tensor>(ReferenceEqualityComparer.Instance);
        // The whole state's structure and scalars (step counters), with this rank's placeholders where the template has them.
        var shard = StateTensorMap.Map(whole, (i, tensor) =>
        {
            if (ZeroPartition.IsPlaceholder(templateTensors[i]) && !ZeroPartition.IsPlaceholder(tensor)) { kept.Add(templateTensors[i]); return templateTensors[i]; }
            return tensor.alias();
        });
        foreach (var tensor in templateTensors) if (!kept.Contains(tensor)) tensor.Dispose();
        return shard;
    }

    /// <summary>
    /// The whole optimizer state from every rank's <paramref name="shard"/> (a collective call: every rank calls it with
    /// its shard, and every rank gets the whole state): each tensor comes, as bytes, from the lowest rank that holds it
    /// whole. The result's tensors are fresh or aliases of the shard's; release them through the result's own handles.
    /// </summary>
    /// <exception cref="MpiException">The exchange failed.</exception>
    public object Gather(object shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var tensors = OptimizerStates.Tensors(shard);
        // Header: per tensor a flag (held whole here) and its shape (up to 8 dims), so every rank knows every layout.
        const int Slots = 10;
        var header = new long[tensors.Count * Slots];
        for (var i = 0; i < tensors.Count; i++)
        {
            var shape = tensors[i].shape;
            if (shape.Length > Slots - 2) throw new ArgumentException($"An optimizer-state tensor of {shape.Length} dimensions cannot be gathered (at most {Slots - 2}).", nameof(shard));
            header[i * Slots] = ZeroPartition.IsPlaceholder(tensors[i]) ? 0 : 1;
            header[i * Slots + 1] = shape.Length;
            shape.CopyTo(header, i * Slots + 2);
        }
        var headers = AllGather(MemoryMarshal.AsBytes(header.AsSpan()).ToArray());
        long[] HeaderOf(int rank) => MemoryMarshal.Cast<byte, long>(headers.AsSpan(rank * header.Length * sizeof(long), header.Length * sizeof(long))).ToArray();
        var all = Enumerable.Range(0, communicator.Size).Select(HeaderOf).ToArray();
        var supplier = new int[tensors.Count];
        var shapes = new long[tensors.Count][];
        for (var i = 0; i < tensors.Count; i++)
        {
            supplier[i] = Enumerable.Range(0, communicator.Size).FirstOrDefault(r => all[r][i * Slots] == 1, -1);
            var from = all[supplier[i] < 0 ? Rank : supplier[i]];
            shapes[i] = from.AsSpan(i * Slots + 2, (int)from[i * Slots + 1]).ToArray();
        }
        long Bytes(int i) => shapes[i].Aggregate(1L, (a, b) => a * b) * tensors[i].ElementSize;
        var block = Enumerable.Range(0, communicator.Size).Max(r => Enumerable.Range(0, tensors.Count).Where(i => supplier[i] == r).Sum(Bytes));
        var send = new byte[block];
        var offset = 0L;
        for (var i = 0; i < tensors.Count; i++)
            if (supplier[i] == Rank) offset += TensorBytes.Write(tensors[i], send, offset);
        var received = AllGather(send);
        var offsets = new long[communicator.Size];
        var read = new torch.Tensor?[tensors.Count];
        for (var i = 0; i < tensors.Count; i++)
        {
            if (supplier[i] < 0 || supplier[i] == Rank) continue;
            var start = (long)supplier[i] * block + offsets[supplier[i]];
            read[i] = TensorBytes.Read(received, start, shapes[i], tensors[i]);
            offsets[supplier[i]] += Bytes(i);
        }
        return StateTensorMap.Map(shard, (i, mine) => read[i] ?? mine.alias());
    }

    /// <summary>
    /// The parameters after a sharded update: <paramref name="updated"/> holds this rank's updated leaves (placeholders
    /// elsewhere); every leaf is taken, as bytes, from its owner. A collective call. Fresh tensors shaped as <paramref name="leaves"/>.
    /// </summary>
    internal torch.Tensor[] AllGatherParameters(IReadOnlyList<TreeLeaf> leaves, IReadOnlyList<torch.Tensor> updated)
    {
        long Bytes(int i) => leaves[i].Value.numel() * leaves[i].Value.ElementSize;
        var block = Enumerable.Range(0, communicator.Size).Max(r => Enumerable.Range(0, leaves.Count).Where(i => Partition.Owners[i] == r).Sum(Bytes));
        var send = new byte[block];
        var offset = 0L;
        for (var i = 0; i < leaves.Count; i++)
            if (Partition.Owners[i] == Rank) offset += TensorBytes.Write(updated[i], send, offset);
        var received = AllGather(send);
        var offsets = new long[communicator.Size];
        var result = new torch.Tensor[leaves.Count];
        for (var i = 0; i < leaves.Count; i++)
        {
            var owner = Partition.Owners[i];
            result[i] = owner == Rank ? updated[i].alias() : TensorBytes.Read(received, (long)owner * block + offsets[owner], leaves[i].Value.shape, leaves[i].Value);
            offsets[owner] += Bytes(i);
        }
        return result;
    }

    /// <summary>
    /// The global norm <see cref="ClipByGlobalNorm"/> computes, of leaves of which this rank holds its own whole: each
    /// owner computes its leaves' <see cref="ClipByGlobalNorm.LeafSquaredNorm"/>, one all-gather brings them to every rank,
    /// and they are summed in leaf order from 0 (the unsharded arithmetic).
    /// </summary>
    double GlobalNorm(IReadOnlyList<TreeLeaf> leaves)
    {
        var owners = leaves.Select(leaf => Partition.OwnerOf(leaf.Path)).ToArray();
        var mine = new double[leaves.Count];
        for (var i = 0; i < leaves.Count; i++)
            if (owners[i] == Rank) mine[i] = ClipByGlobalNorm.LeafSquaredNorm(leaves[i].Value);
        var all = MemoryMarshal.Cast<byte, double>(AllGather(MemoryMarshal.AsBytes(mine.AsSpan()).ToArray()).AsSpan()).ToArray();
        var total = 0.0;
        for (var i = 0; i < leaves.Count; i++) total += all[owners[i] * leaves.Count + i];
        return Math.Sqrt(total);
    }

    byte[] AllGather(byte[] mine)
    {
        if ((long)mine.Length * communicator.Size > Array.MaxLength)
            throw new ArgumentException($"The ZeRO exchange would move {(long)mine.Length * communicator.Size} bytes to each rank, more than one buffer holds (2 GiB).", nameof(mine));
        var all = new byte[mine.Length * communicator.Size];
        communicator.AllGather(mine, all);
        return all;
    }
}

/// <summary>Tensors to and from bytes, for exchanges that must copy rather than add.</summary>
internal static class TensorBytes
{
    /// <summary>Copies <paramref name="tensor"/>'s elements into <paramref name="buffer"/> at <paramref name="offset"/>; returns the byte count.</summary>
    public static long Write(torch.Tensor tensor, byte[] buffer, long offset)
    {
        using var scope = torch.NewDisposeScope();
        var host = tensor.detach().contiguous().cpu();
        var bytes = (int)(host.numel() * host.ElementSize);
        if (bytes > 0) Marshal.Copy(NativeTensor.Data(host), buffer, (int)offset, bytes);
        GC.KeepAlive(host);
        return bytes;
    }

    /// <summary>A fresh tensor of <paramref name="shape"/>, with <paramref name="like"/>'s dtype and device, read from <paramref name="buffer"/>.</summary>
    public static torch.Tensor Read(byte[] buffer, long offset, long[] shape, torch.Tensor like)
    {
        var host = torch.empty(shape, dtype: like.dtype);
        var bytes = (int)(host.numel() * host.ElementSize);
        if (bytes > 0) Marshal.Copy(buffer, (int)offset, NativeTensor.Data(host), bytes);
        GC.KeepAlive(host);
        if (like.device_type == host.device_type) return host;
        using (host) return host.to(like.device);
    }
}
