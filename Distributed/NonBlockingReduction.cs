using Functional.Core;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// One step's gradient reduction overlapped with its backward without a thread of its own
/// (<see cref="OverlapProgress.BackwardCallbacks"/>): each final gradient is copied into its bucket's flat buffer on the
/// backward thread (<see cref="GradientReady"/>); when that fills the next bucket in plan order, the same callback starts
/// its reduction with <c>MPI_Iallreduce</c>, and every callback lets MPI progress the started reductions
/// (<c>MPI_Test</c>). <see cref="Finish"/> starts what is left and waits for all of it (<c>MPI_Wait</c>).
/// </summary>
/// <remarks>
/// <para>
/// Threads: on CPU, autograd runs the callbacks on the thread that runs backward, the step's thread, so every MPI call of
/// the step comes from one thread (<c>MPI_THREAD_SERIALIZED</c> holds trivially). OpenMPI (no progress thread) advances a
/// non-blocking collective only inside this process's MPI calls: the reduction moves on at each later callback and
/// after backward, and costs the backward only the copying MPI does in those calls, never a polling thread.
/// </para>
/// <para>
/// Buckets start in the plan's fixed order on every rank (a bucket that fills early waits for the ones before it), so
/// the ranks' collectives always match. Bits: the same per-element sums as <see cref="OverlappedReduction"/> (with two
/// ranks each element is <c>a + b</c>, as in one blocking all-reduce of everything).
/// </para>
/// <para>
/// Failures: a callback cannot throw into the native engine; an error (a failed MPI call) is kept, no later bucket is
/// started, and <see cref="Finish"/> throws it, so the fit ends the job. A buffer whose reduction was started and has
/// not completed is never freed (MPI may still write it); <see cref="Dispose"/> leaves it.
/// </para>
/// </remarks>
internal sealed class NonBlockingReduction : IBucketReduction
{
    readonly Communicator communicator;
    readonly BucketBuffers buckets;
    readonly int[] missing;
    readonly PendingAllReduce?[] pending;
    readonly object gate = new();
    readonly Thread? poller;
    volatile bool finishing;
    int started;
    int completed;
    Exception? failure;
    bool disposed;

    /// <summary>
    /// Plans the buckets for <paramref name="leaves"/> (the parameters); nothing is started yet. With
    /// <paramref name="poll"/>, a thread also progresses the reductions every millisecond (<see cref="OverlapProgress.PollingThread"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The leaves do not share one float dtype and device (paths named).</exception>
    public NonBlockingReduction(Communicator communicator, IReadOnlyList<TreeLeaf> leaves, long bucketBytes, bool poll)
    {
        this.communicator = communicator;
        buckets = new BucketBuffers(leaves, bucketBytes);
        missing = buckets.LeavesPerBucket();
        pending = new PendingAllReduce?[buckets.Count];
        if (!poll) return;
        poller = new Thread(Poll) { IsBackground = true, Name = "gradient all-reduce poller" };
        poller.Start();
    }

    /// <inheritdoc />
    public int BucketCount => buckets.Count;

    /// <inheritdoc />
    public (int Started, int Completed) InBackward { get; private set; }

    /// <inheritdoc />
    public IReadOnlyList<torch.Tensor> Watch(IReadOnlyList<torch.Tensor> leaves) => BucketBuffers.Watch(leaves, Deliver);

    /// <inheritdoc />
    public IReadOnlyList<torch.Tensor> Finish(IReadOnlyList<torch.Tensor> gradients)
    {
        InBackward = (started, completed);
        for (var i = 0; i < gradients.Count; i++)
            if (!buckets.IsDelivered(i)) Deliver(i, gradients[i]);
        finishing = true;
        poller?.Join();   // it never blocks in MPI: back within a millisecond
        if (failure is not null) throw failure;
        StartFullBuckets();
        for (; completed < started; completed++) pending[completed]!.Wait();
        return buckets.Means(communicator.Size);
    }

    /// <summary>
    /// Copies leaf <paramref name="leaf"/>'s final gradient into its bucket, starts every bucket now full (in plan order)
    /// and lets MPI progress the started ones.
    /// </summary>
    void Deliver(int leaf, torch.Tensor gradient)
    {
        if (failure is not null) return;
        try
        {
            var bucket = buckets.Copy(leaf, gradient);
            lock (gate)
            {
                missing[bucket]--;
                Progress();
            }
        }
        catch (Exception error)
        {
            // Called from inside autograd, where an exception cannot pass: kept for Finish.
            failure ??= error;
        }
    }

    /// <summary>Starts every bucket now full (in plan order) and lets MPI progress the started ones; under the gate.</summary>
    void Progress()
    {
        StartFullBuckets();
        while (completed < started && pending[completed]!.Test()) completed++;
    }

    /// <summary>The polling thread: <see cref="Progress"/> every millisecond until backward ends or a failure.</summary>
    void Poll()
    {
        while (!finishing && failure is null)
        {
            try
            {
                lock (gate) Progress();
            }
            catch (Exception error)
            {
                failure ??= error;
                return;
            }
            Thread.Sleep(1);
        }
    }

    void StartFullBuckets()
    {
        while (started < buckets.Count && missing[started] == 0)
        {
            pending[started] = communicator.StartAllReduceSum(buckets[started]);
            started++;
        }
    }

    /// <summary>
    /// Stops the polling thread and frees the buffers, unless a started reduction has not completed (MPI may still write
    /// it: then they are left).
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        finishing = true;
        poller?.Join();
        if (completed < started) return;
        buckets.Free();
    }
}
