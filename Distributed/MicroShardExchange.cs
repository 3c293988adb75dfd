using System.Runtime.InteropServices;
using Functional.Core;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// The exchange and the fixed-order sum of <see cref="ExactDataParallel"/>: every micro-shard's tensors and numbers are
/// copied, as bytes, to every rank (one <c>MPI_Allgather</c>), and each rank adds them in micro-shard order. No float is
/// added by MPI, so the sums are the same bits whichever rank computed which micro-shard.
/// </summary>
internal static class MicroShardExchange
{
    /// <summary>What one micro-shard contributes: its gradient and model-state leaves, then its loss and metrics.</summary>
    public sealed record Part(IReadOnlyList<torch.Tensor> Tensors, IReadOnlyList<double> Scalars);

    /// <summary>Every micro-shard's part (<c>Parts[j][i]</c>: global batch j, micro-shard i of 0 .. M-1) and whether any rank asked to stop.</summary>
    public sealed record Gathered(IReadOnlyList<IReadOnlyList<Part>> Parts, bool Stop);

    /// <summary>
    /// Gathers <paramref name="mine"/> (<c>mine[j][i]</c>: this rank's micro-shard <c>run.First + i</c> of batch j) from every
    /// rank. Every part must have the tensors' dtypes and shapes and the scalar count of <c>mine[0][0]</c>, on every rank.
    /// The results are fresh tensors on the device of <c>mine[0][0]</c>'s tensors (call inside a dispose scope).
    /// </summary>
    /// <exception cref="ArgumentException">A part differs in layout from the first, or the exchange would exceed 2 GiB.</exception>
    public static Gathered Gather(Communicator communicator, int microShards, IReadOnlyList<IReadOnlyList<Part>> mine, bool stop)
    {
        var template = mine[0][0];
        var batches = mine.Count;
        var longest = MicroShards.LongestRun(microShards, communicator.Size);
        var slot = template.Tensors.Sum(t => t.numel() * t.ElementSize) + sizeof(double) * (long)template.Scalars.Count;
        var block = sizeof(double) + batches * longest * slot;
        if (block * communicator.Size > Array.MaxLength)
            throw new ArgumentException($"The micro-shard exchange would move {block * communicator.Size} bytes to each rank, more than one buffer holds (2 GiB); use fewer micro-shards or fewer batches per update.", nameof(mine));
        var send = new byte[block];
        BitConverter.TryWriteBytes(send.AsSpan(0, sizeof(double)), stop ? 1.0 : 0.0);
        for (var j = 0; j < batches; j++)
            for (var i = 0; i < mine[j].Count; i++)
                Write(mine[j][i], template, send, sizeof(double) + (j * longest + i) * slot);
        var all = new byte[block * communicator.Size];
        communicator.AllGather(send, all);

        var parts = Enumerable.Range(0, batches).Select(_ => new Part[microShards]).ToArray();
        var anyStop = false;
        for (var rank = 0; rank < communicator.Size; rank++)
        {
            var start = rank * block;
            anyStop |= BitConverter.ToDouble(all, (int)start) != 0;
            var run = MicroShards.Of(microShards, rank, communicator.Size);
            for (var j = 0; j < batches; j++)
                for (var i = 0; i < run.Count; i++)
                    parts[j][run.First + i] = Read(template, all, start + sizeof(double) + (j * longest + i) * slot);
        }
        return new Gathered(parts, anyStop);
    }

    /// <summary>
    /// The mean of <paramref name="parts"/> leaf by leaf, in the order and with the arithmetic of
    /// <see cref="Functional.Optimizers.Accumulate"/>: <c>((p_0 + p_1) + p_2) + ...</c>, then divided by the count.
    /// </summary>
    public static torch.Tensor[] Mean(IReadOnlyList<IReadOnlyList<torch.Tensor>> parts)
    {
        var sum = parts[0].Select(t => t.alias()).ToArray();
        for (var n = 1; n < parts.Count; n++)
            for (var leaf = 0; leaf < sum.Length; leaf++) sum[leaf] = sum[leaf].add(parts[n][leaf], Scalars.One);
        using var count = parts.Count.ToScalar();
        return sum.Select(s => s.div(count)).ToArray();
    }

    /// <summary>The mean of <paramref name="parts"/> element by element, summed in order in float64 and divided by the count.</summary>
    public static double[] Mean(IReadOnlyList<IReadOnlyList<double>> parts)
    {
        var sum = parts[0].ToArray();
        for (var n = 1; n < parts.Count; n++)
            for (var i = 0; i < sum.Length; i++) sum[i] += parts[n][i];
        return sum.Select(s => s / parts.Count).ToArray();
    }

    static void Write(Part part, Part template, byte[] buffer, long offset)
    {
        if (part.Tensors.Count != template.Tensors.Count || part.Scalars.Count != template.Scalars.Count
            || part.Tensors.Zip(template.Tensors).Any(p => p.First.dtype != p.Second.dtype || !p.First.shape.SequenceEqual(p.Second.shape)))
            throw new ArgumentException("Every micro-shard must give gradients, model state and metrics of the same layout (dtypes, shapes and metric count).", nameof(part));
        foreach (var tensor in part.Tensors)
        {
            using var scope = torch.NewDisposeScope();
            var host = tensor.detach().contiguous().cpu();
            var bytes = (int)(host.numel() * host.ElementSize);
            if (bytes > 0) Marshal.Copy(NativeTensor.Data(host), buffer, (int)offset, bytes);
            GC.KeepAlive(host);
            offset += bytes;
        }
        foreach (var value in part.Scalars)
        {
            BitConverter.TryWriteBytes(buffer.AsSpan((int)offset, sizeof(double)), value);
            offset += sizeof(double);
        }
    }

    static Part Read(Part template, byte[] buffer, long offset)
    {
        var tensors = new torch.Tensor[template.Tensors.Count];
        for (var t = 0; t < tensors.Length; t++)
        {
            var like = template.Tensors[t];
            var host = torch.empty(like.shape, dtype: like.dtype);
            var bytes = (int)(host.numel() * host.ElementSize);
            if (bytes > 0) Marshal.Copy(buffer, (int)offset, NativeTensor.Data(host), bytes);
            GC.KeepAlive(host);
            offset += bytes;
            tensors[t] = like.device_type == host.device_type ? host : host.to(like.device);
        }
        var scalars = new double[template.Scalars.Count];
        for (var s = 0; s < scalars.Length; s++, offset += sizeof(double)) scalars[s] = BitConverter.ToDouble(buffer, (int)offset);
        return new Part(tensors, scalars);
    }
}
