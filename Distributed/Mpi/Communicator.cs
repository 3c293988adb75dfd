using System.Runtime.InteropServices;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// The processes of one MPI job (<c>MPI_COMM_WORLD</c>): this process's rank, the job's size, and the collectives that
/// training needs (sum-all-reduce in place, broadcast, barrier, abort). Every rank must make the same collective calls
/// in the same order with the same counts. A failed call throws an <see cref="MpiException"/> naming the call and the rank
/// (the communicator returns errors instead of aborting: <c>MPI_ERRORS_RETURN</c>).
/// </summary>
/// <remarks>
/// MPI is initialised once per process (<see cref="World"/>) and cannot be initialised again after
/// <see cref="Dispose"/> finalises it. Calls may come from any thread, one at a time (<c>MPI_THREAD_SERIALIZED</c>).
/// </remarks>
public sealed class Communicator : IDisposable
{
    readonly IntPtr world;
    readonly IntPtr floats;
    readonly IntPtr doubles;
    readonly IntPtr bytes;
    readonly IntPtr sum;
    readonly bool owns;
    bool disposed;

    Communicator(int rank, int size, bool owns)
    {
        (Rank, Size, this.owns) = (rank, size, owns);
        world = MpiLibrary.Global("ompi_mpi_comm_world");
        floats = MpiLibrary.Global("ompi_mpi_float");
        doubles = MpiLibrary.Global("ompi_mpi_double");
        bytes = MpiLibrary.Global("ompi_mpi_byte");
        sum = MpiLibrary.Global("ompi_mpi_op_sum");
    }

    /// <summary>This process's rank, 0 .. <see cref="Size"/> - 1.</summary>
    public int Rank { get; }

    /// <summary>The number of processes in the job.</summary>
    public int Size { get; }

    /// <summary>
    /// Wall time this communicator has spent inside <c>MPI_Allreduce</c> so far (waiting for slower ranks included): what
    /// a step pays for communication plus imbalance. A per-communicator statistic, for benchmarks and logs.
    /// </summary>
    public TimeSpan AllReduceTime { get; private set; }

    /// <summary>
    /// Wall time data-parallel steps on this communicator have waited, after their backward, for the mean gradients
    /// (packing, the all-reduces still running, unpacking): the part of the reduction a step exposes. Without overlap
    /// that is the whole all-reduce; with <see cref="DataParallelOptions.Overlap"/>, what backward did not hide. For
    /// benchmarks and logs.
    /// </summary>
    public TimeSpan ReductionWaitTime { get; private set; }

    /// <summary>Adds a step's wait to <see cref="ReductionWaitTime"/>.</summary>
    internal void AddReductionWait(TimeSpan wait) => ReductionWaitTime += wait;

    /// <summary>Adds time spent in a non-blocking reduction's <c>MPI_Test</c> or <c>MPI_Wait</c> to <see cref="AllReduceTime"/>.</summary>
    internal void AddAllReduceTime(TimeSpan time) => AllReduceTime += time;

    /// <summary>
    /// When the last data-parallel step on this communicator finished its backward and when it had its mean gradients, or
    /// null before the first: with the same moments of the other ranks (of one host, whose monotonic clock every process
    /// shares) a benchmark separates waiting for a slower rank from the reduction itself (<see cref="ExchangeTiming"/>).
    /// </summary>
    public ExchangeTiming? LastExchange { get; private set; }

    /// <summary>Records a step's <see cref="LastExchange"/> and adds its wait to <see cref="ReductionWaitTime"/>.</summary>
    internal void RecordExchange(ExchangeTiming exchange)
    {
        LastExchange = exchange;
        AddReductionWait(System.Diagnostics.Stopwatch.GetElapsedTime(exchange.BackwardEnded, exchange.MeansReady));
    }

    /// <summary>Whether this is rank 0, the one that writes checkpoints, logs and charts.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>
    /// The world communicator, initialising MPI when no one has yet (then <see cref="Dispose"/> finalises it). Started
    /// without <c>mpirun</c>, it is a job of one process.
    /// </summary>
    /// <exception cref="DllNotFoundException">OpenMPI is not installed; the message names the packages.</exception>
    /// <exception cref="MpiException">MPI could not be initialised.</exception>
    public static Communicator World()
    {
        _ = MpiLibrary.Library;
        MpiLibrary.Check(MpiLibrary.MPI_Initialized(out var initialized), "MPI_Initialized", -1);
        if (initialized == 0)
        {
            MpiLibrary.Check(MpiLibrary.MPI_Finalized(out var finalized), "MPI_Finalized", -1);
            if (finalized != 0) throw new InvalidOperationException("MPI was already finalised in this process; it cannot be initialised again.");
            MpiLibrary.Check(MpiLibrary.MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, MpiLibrary.ThreadSerialized, out var provided), "MPI_Init_thread", -1);
            if (provided < MpiLibrary.ThreadSerialized)
                throw new MpiException("MPI_Init_thread", -1, 0, $"the library provides thread level {provided}, below MPI_THREAD_SERIALIZED");
        }
        var world = MpiLibrary.Global("ompi_mpi_comm_world");
        MpiLibrary.Check(MpiLibrary.MPI_Comm_set_errhandler(world, MpiLibrary.Global("ompi_mpi_errors_return")), "MPI_Comm_set_errhandler", -1);
        MpiLibrary.Check(MpiLibrary.MPI_Comm_rank(world, out var rank), "MPI_Comm_rank", -1);
        MpiLibrary.Check(MpiLibrary.MPI_Comm_size(world, out var size), "MPI_Comm_size", rank);
        return new Communicator(rank, size, owns: initialized == 0);
    }

    /// <summary>Whether this process was started by OpenMPI's launcher (<c>mpirun</c> sets <c>OMPI_COMM_WORLD_SIZE</c>).</summary>
    public static bool LaunchedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>Replaces every element of <paramref name="values"/> by its sum over all ranks (in place, <c>MPI_IN_PLACE</c>).</summary>
    public unsafe void AllReduceSum(Span<double> values)
    {
        fixed (double* pointer = values) AllReduce((IntPtr)pointer, values.Length, doubles, sizeof(double));
    }

    /// <summary>
    /// Replaces every element of <paramref name="buffer"/> (float32 or float64, contiguous, in CPU memory, owned by the
    /// caller) by its sum over all ranks, in place. Each rank's buffer must have the same dtype and size.
    /// </summary>
    /// <remarks>
    /// The reduction order is OpenMPI's choice (it depends on the algorithm and the rank count, not on the data); with
    /// two ranks each element is <c>a + b</c>, which is exact in the sense that it equals <c>b + a</c>.
    /// </remarks>
    /// <exception cref="ArgumentException">The buffer is not a plain float32/float64 CPU tensor.</exception>
    public void AllReduceSum(torch.Tensor buffer)
    {
        var (type, width) = Plain(buffer, nameof(buffer));
        AllReduce(NativeTensor.Data(buffer), buffer.numel(), type, width);
        // MPI wrote through a raw pointer: the tensor (whose finalizer would free the memory) must outlive the call even
        // when the caller passed a temporary.
        GC.KeepAlive(buffer);
    }

    /// <summary>
    /// Starts summing every element of <paramref name="buffer"/> over all ranks in place without waiting
    /// (<c>MPI_Iallreduce</c>); the result is there once the returned reduction has completed (<see cref="PendingAllReduce.Test"/>,
    /// <see cref="PendingAllReduce.Wait"/>). The same buffer rules, and for two ranks the same bits, as
    /// <see cref="AllReduceSum(torch.Tensor)"/>; the caller must not touch the buffer until then.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is not a plain float32/float64 CPU tensor.</exception>
    /// <exception cref="MpiException">The reduction could not be started.</exception>
    internal PendingAllReduce StartAllReduceSum(torch.Tensor buffer)
    {
        ThrowIfDisposed();
        var (type, width) = Plain(buffer, nameof(buffer));
        var requests = new List<IntPtr>();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Chunks(NativeTensor.Data(buffer), buffer.numel(), width, (start, n) =>
        {
            MpiLibrary.Check(MpiLibrary.MPI_Iallreduce(MpiLibrary.InPlace, start, n, type, sum, world, out var request), "MPI_Iallreduce", Rank);
            requests.Add(request);
        });
        AllReduceTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        return new PendingAllReduce(this, buffer, [.. requests]);
    }

    /// <summary>
    /// Every rank's <paramref name="mine"/> (the same length on every rank), in rank order, into <paramref name="all"/>
    /// (<c>MPI_Allgather</c> of bytes): rank <c>r</c>'s bytes land at <c>r · mine.Length</c>. The bytes are copied, never
    /// combined, so what arrives is exactly what was sent.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="all"/> is not <see cref="Size"/> times as long as <paramref name="mine"/>, or is 2 GiB or more.</exception>
    public unsafe void AllGather(ReadOnlySpan<byte> mine, Span<byte> all)
    {
        ThrowIfDisposed();
        if ((long)mine.Length * Size != all.Length)
            throw new ArgumentException($"An all-gather of {mine.Length} bytes from each of {Size} ranks needs {(long)mine.Length * Size} bytes to receive them, got {all.Length}.", nameof(all));
        fixed (byte* send = mine)
        fixed (byte* receive = all)
            MpiLibrary.Check(MpiLibrary.MPI_Allgather((IntPtr)send, mine.Length, bytes, (IntPtr)receive, mine.Length, bytes, world), "MPI_Allgather", Rank);
    }

    /// <summary>Overwrites <paramref name="buffer"/> on every rank with its value on <paramref name="root"/> (a plain CPU tensor of any dtype, the same size everywhere).</summary>
    public void Broadcast(torch.Tensor buffer, int root)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!buffer.is_cpu() || !buffer.is_contiguous()) throw new ArgumentException("Broadcast needs a contiguous CPU tensor.", nameof(buffer));
        CheckRoot(root);
        var width = buffer.ElementSize;
        Chunks(NativeTensor.Data(buffer), buffer.numel() * width, 1, (start, count) =>
            MpiLibrary.Check(MpiLibrary.MPI_Bcast(start, count, bytes, root, world), "MPI_Bcast", Rank));
        GC.KeepAlive(buffer);   // as in AllReduceSum: the memory MPI wrote must not be freed by a finalizer mid-call
    }

    /// <summary>Overwrites <paramref name="values"/> on every rank with their value on <paramref name="root"/>.</summary>
    public unsafe void Broadcast(Span<long> values, int root)
    {
        CheckRoot(root);
        fixed (long* pointer = values)
            MpiLibrary.Check(MpiLibrary.MPI_Bcast((IntPtr)pointer, checked(values.Length * sizeof(long)), bytes, root, world), "MPI_Bcast", Rank);
    }

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier()
    {
        ThrowIfDisposed();
        MpiLibrary.Check(MpiLibrary.MPI_Barrier(world), "MPI_Barrier", Rank);
    }

    /// <summary>Ends every process of the job with <paramref name="errorCode"/> (<c>MPI_Abort</c>); for failures that would leave other ranks waiting forever.</summary>
    public void Abort(int errorCode)
    {
        ThrowIfDisposed();
        _ = MpiLibrary.MPI_Abort(world, errorCode);
    }

    /// <summary>Finalises MPI when <see cref="World"/> initialised it (every rank must do so); later calls throw.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (owns) MpiLibrary.Check(MpiLibrary.MPI_Finalize(), "MPI_Finalize", Rank);
    }

    void AllReduce(IntPtr data, long count, IntPtr type, int width)
    {
        ThrowIfDisposed();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Chunks(data, count, width, (start, n) =>
            MpiLibrary.Check(MpiLibrary.MPI_Allreduce(MpiLibrary.InPlace, start, n, type, sum, world), "MPI_Allreduce", Rank));
        AllReduceTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    // MPI counts are ints: larger buffers go in pieces.
    static void Chunks(IntPtr data, long count, int width, Action<IntPtr, int> call)
    {
        for (long done = 0; done < count;)
        {
            var n = (int)Math.Min(count - done, int.MaxValue / 2);
            call(data + (nint)(done * width), n);
            done += n;
        }
    }

    (IntPtr Type, int Width) Plain(torch.Tensor buffer, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!buffer.is_cpu() || !buffer.is_contiguous())
            throw new ArgumentException($"An all-reduce needs a contiguous CPU tensor, got one on {buffer.device}{(buffer.is_contiguous() ? "" : ", not contiguous")}.", name);
        if (buffer.dtype == torch.float32) return (floats, sizeof(float));
        if (buffer.dtype == torch.float64) return (doubles, sizeof(double));
        throw new ArgumentException($"An all-reduce sums float32 or float64 tensors, got {buffer.dtype}.", name);
    }

    void CheckRoot(int root)
    {
        ThrowIfDisposed();
        if (root < 0 || root >= Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"The job has ranks 0 .. {Size - 1}.");
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
