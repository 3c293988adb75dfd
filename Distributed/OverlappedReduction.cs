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
    readonly GradientBuckets plan;
    readonly IReadOnlyList<torch.Tensor> templates;
    readonly torch.Tensor[] buffers;
    readonly int[] missing;
    readonly bool[] delivered;
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
        templates = leaves.Select(leaf => leaf.Value).ToArray();
        CheckOneFloatType(leaves);
        plan = GradientBuckets.Plan(templates, bucketBytes);
        var dtype = templates[0].dtype;
        // Owned here, not by the step's dispose scope: a failing step must not free a buffer MPI may still be writing.
        buffers = plan.Sizes.Select(size => torch.empty(size, dtype: dtype).DetachFromDisposeScope()).ToArray();
        missing = plan.Leaves.Select(bucket => bucket.Length).ToArray();
        delivered = new bool[templates.Count];
        ready = plan.Leaves.Select(_ => new ManualResetEventSlim(false)).ToArray();
        thread = new Thread(Communicate) { IsBackground = true, Name = "gradient all-reduce" };
        thread.Start();
    }

    /// <summary>The number of buckets.</summary>
    public int BucketCount => buffers.Length;

    /// <inheritdoc />
    public (int Started, int Completed) InBackward { get; private set; }

    /// <summary>
    /// <paramref name="leaves"/> (the parameters as the model will see them, in tree order) with every leaf that requires a
    /// gradient passed through <see cref="GradientReady"/>, reporting to this reduction.
    /// </summary>
    public IReadOnlyList<torch.Tensor> Watch(IReadOnlyList<torch.Tensor> leaves) =>
        leaves.Select((leaf, i) => leaf.requires_grad ? GradientReady.Watch(leaf, gradient => Deliver(i, gradient)) : leaf).ToArray();

    /// <summary>
    /// Hands over every gradient backward did not (leaves the loss does not use, which get zeros), waits for the
    /// communication thread, and returns the mean gradient of each leaf (fresh tensors of the caller's dispose scope).
    /// </summary>
    /// <exception cref="MpiException">An all-reduce failed.</exception>
    public IReadOnlyList<torch.Tensor> Finish(IReadOnlyList<torch.Tensor> gradients)
    {
        // Released: full and handed to the thread, which reduces them in order (the first not yet reduced may be under way).
        InBackward = (released, reduced);
        for (var i = 0; i < gradients.Count; i++)
            if (!delivered[i]) Deliver(i, gradients[i]);
        thread.Join();
        if (failure is not null) throw failure;
        using var ranks = communicator.Size.ToScalar();
        var means = new torch.Tensor[templates.Count];
        for (var b = 0; b < buffers.Length; b++)
        {
            var mean = buffers[b].div(ranks);
            foreach (var i in plan.Leaves[b])
            {
                var leaf = mean.narrow(0, plan.Offsets[i], templates[i].numel()).view(templates[i].shape);
                means[i] = leaf.device_type == templates[i].device_type ? leaf : leaf.to(templates[i].device);
            }
        }
        return means;
    }

    /// <summary>Copies leaf <paramref name="leaf"/>'s final gradient into its bucket; the bucket's last one releases it to the thread.</summary>
    void Deliver(int leaf, torch.Tensor gradient)
    {
        try
        {
            if (delivered[leaf]) throw new InvalidOperationException($"Leaf {leaf}'s gradient was handed over twice.");
            delivered[leaf] = true;
            var bucket = plan.BucketOf[leaf];
            using (var scope = torch.NewDisposeScope())
            using (torch.no_grad())
                buffers[bucket].narrow(0, plan.Offsets[leaf], templates[leaf].numel()).copy_(gradient.reshape(-1));
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
            for (var b = 0; b < buffers.Length; b++)
            {
                ready[b].Wait(abandon.Token);
                communicator.AllReduceSum(buffers[b]);
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

    /// <summary>Throws unless every leaf is float32 or float64 of one dtype on one device (paths named).</summary>
    internal static void CheckOneFloatType(IReadOnlyList<TreeLeaf> leaves)
    {
        var first = leaves[0];
        var dtype = first.Value.dtype;
        if (dtype != torch.float32 && dtype != torch.float64)
            throw new ArgumentException($"Data-parallel gradients must be float32 or float64, got {dtype} at '{first.Path}'.", nameof(leaves));
        if (leaves.FirstOrDefault(leaf => leaf.Value.dtype != dtype || leaf.Value.device_type != first.Value.device_type) is { } other)
            throw new ArgumentException($"Data-parallel gradients must share one dtype and device: {dtype} on {first.Value.device} at '{first.Path}' and {other.Value.dtype} on {other.Value.device} at '{other.Path}'.", nameof(leaves));
    }

    /// <summary>Stops the communication thread if it still waits for a bucket and frees the buffers once it has ended.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        abandon.Cancel();
        if (!thread.Join(TimeSpan.Zero) && !thread.Join(TimeSpan.FromMilliseconds(100))) return;   // inside MPI: left to it
        foreach (var buffer in buffers) buffer.Dispose();
        foreach (var signal in ready) signal.Dispose();
        abandon.Dispose();
    }
}
