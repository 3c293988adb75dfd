using Functional.Core;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// One step's gradient reduction overlapped with its backward: the parameter leaves are watched
/// (<see cref="GradientReady"/>), each final gradient is copied into its bucket's flat buffer on the backward thread, and a
/// communication thread all-reduces the buckets in plan order, each as soon as all its gradients are in, while autograd
/// goes on. <see cref="Finish"/> waits for the rest and returns the mean gradients.
/// </summary>
/// <remarks>
/// <para>
/// MPI is initialised at <c>MPI_THREAD_SERIALIZED</c>: between the constructor and <see cref="Finish"/>'s return only the
/// communication thread calls MPI (the step's thread runs forward and backward); <see cref="Finish"/> joins the thread
/// before the step's thread calls MPI again. The exception is a failure: a rank that ends the job with <c>MPI_Abort</c>
/// while its communication thread waits in an all-reduce calls MPI from two threads at once, which OpenMPI's abort
/// survives (it ends the process; the job's tests check that every rank ends).
/// </para>
/// <para>
/// The buckets are reduced in the plan's fixed order on every rank, whatever order backward finishes them in, so the ranks'
/// collectives always match. The communication thread is a background thread that waits on a cancellation as well as on
/// the buckets: a step that fails before handing over every bucket cancels it (<see cref="Dispose"/>), and one still
/// inside an all-reduce cannot keep the process alive. Its buffers are then left to it (not freed under MPI's writes).
/// </para>
/// <para>
/// Bits: each element of a bucket is summed over the ranks by the same MPI call as in one all-reduce of everything, and
/// divided by the rank count the same way; with two ranks each sum is <c>a + b</c>, so the result equals
/// <see cref="GradientBuffer.AllReduceMean(Communicator, IReadOnlyList{torch.Tensor}, IReadOnlyList{torch.Tensor}, bool)"/>'s bit for bit. With more ranks OpenMPI chooses its algorithm (and so the
/// order of each element's sum) by message size and position, so buckets agree with one all-reduce up to float rounding.
/// </para>
/// </remarks>
internal sealed class OverlappedReduction : IBucketReduction
{
    readonly Communicator communicator;
    readonly BucketBuffers buckets;
    readonly int[] missing;
    readonly ManualResetEventSlim[] ready;
    readonly CancellationTokenSource abandon = new();
    readonly Thread thread;
    Exception? failure;
    int released;
    volatile int reduced;
    bool disposed;

    /// <summary>Plans the buckets for <paramref name="leaves"/> (the parameters) and starts the communication thread.</summary>
    /// <exception cref="ArgumentException">The leaves do not share one float dtype and device (paths named).</exception>
    public OverlappedReduction(Communicator communicator, IReadOnlyList<TreeLeaf> leaves, long bucketBytes)
    {
        this.communicator = communicator;
        buckets = new BucketBuffers(leaves, bucketBytes);
        missing = buckets.LeavesPerBucket();
        ready = missing.Select(_ => new ManualResetEventSlim(false)).ToArray();
        thread = new Thread(Communicate) { IsBackground = true, Name = "gradient all-reduce" };
        thread.Start();
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
        // Released: full and handed to the thread, which reduces them in order (the first not yet reduced may be under way).
        InBackward = (released, reduced);
        for (var i = 0; i < gradients.Count; i++)
            if (!buckets.IsDelivered(i)) Deliver(i, gradients[i]);
        thread.Join();
        if (failure is not null) throw failure;
        return buckets.Means(communicator.Size);
    }

    /// <summary>Copies leaf <paramref name="leaf"/>'s final gradient into its bucket; the bucket's last one releases it to the thread.</summary>
    void Deliver(int leaf, torch.Tensor gradient)
    {
        try
        {
            var bucket = buckets.Copy(leaf, gradient);
            if (--missing[bucket] == 0)
            {
                released++;
                ready[bucket].Set();
            }
        }
        catch (Exception error)
        {
            // Called from inside autograd, where an exception cannot pass: kept for Finish, and the thread stopped.
            failure ??= error;
            abandon.Cancel();
        }
    }

    void Communicate()
    {
        try
        {
            for (var b = 0; b < buckets.Count; b++)
            {
                ready[b].Wait(abandon.Token);
                communicator.AllReduceSum(buckets[b]);
                reduced++;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            failure ??= error;
        }
    }

    /// <summary>Stops the communication thread if it still waits for a bucket and frees the buffers once it has ended.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        abandon.Cancel();
        if (!thread.Join(TimeSpan.Zero) && !thread.Join(TimeSpan.FromMilliseconds(100))) return;   // inside MPI: left to it
        buckets.Free();
        foreach (var signal in ready) signal.Dispose();
        abandon.Dispose();
    }
}
