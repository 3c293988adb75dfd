using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// A sum-all-reduce started with <c>MPI_Iallreduce</c> (<see cref="Communicator.StartAllReduceSum"/>) and not yet known to
/// be complete: OpenMPI has no progress thread, so the reduction advances only inside MPI calls of this process — each
/// <see cref="Test"/> moves it on a little, <see cref="Wait"/> finishes it. The buffer it writes is held (not freed) until
/// it completes.
/// </summary>
/// <remarks>
/// Every rank must start the same reductions in the same order (they are collectives). Calls follow the communicator's
/// thread rule: one thread at a time.
/// </remarks>
internal sealed class PendingAllReduce
{
    readonly Communicator communicator;
    readonly torch.Tensor buffer;
    readonly IntPtr[] requests;
    int done;

    internal PendingAllReduce(Communicator communicator, torch.Tensor buffer, IntPtr[] requests) =>
        (this.communicator, this.buffer, this.requests) = (communicator, buffer, requests);

    /// <summary>Whether every piece has completed (the buffer then holds the sums).</summary>
    public bool Completed => done == requests.Length;

    /// <summary>
    /// Lets MPI progress the reduction once (<c>MPI_Test</c> on the first unfinished piece, then on the next while they
    /// complete) and tells whether it has completed. Never blocks for the other ranks.
    /// </summary>
    /// <exception cref="MpiException">The reduction failed.</exception>
    public bool Test()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (done < requests.Length)
        {
            MpiLibrary.Check(MpiLibrary.MPI_Test(ref requests[done], out var flag, MpiLibrary.StatusIgnore), "MPI_Test", communicator.Rank);
            if (flag == 0) break;
            done++;
        }
        communicator.AddAllReduceTime(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        if (Completed) GC.KeepAlive(buffer);
        return Completed;
    }

    /// <summary>Blocks until the reduction has completed on this rank (<c>MPI_Wait</c>).</summary>
    /// <exception cref="MpiException">The reduction failed.</exception>
    public void Wait()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (; done < requests.Length; done++)
            MpiLibrary.Check(MpiLibrary.MPI_Wait(ref requests[done], MpiLibrary.StatusIgnore), "MPI_Wait", communicator.Rank);
        communicator.AddAllReduceTime(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        GC.KeepAlive(buffer);
    }
}
