namespace Functional.Distributed;

/// <summary>How an overlapped data-parallel step (<see cref="DataParallelOptions.Overlap"/>) moves its bucket reductions on while backward runs.</summary>
public enum OverlapProgress
{
    /// <summary>
    /// No extra thread: the backward itself starts each full bucket's reduction (<c>MPI_Iallreduce</c>) and, at every
    /// later gradient it hands over, lets MPI progress the started ones (<c>MPI_Test</c>); after backward the step waits
    /// for the rest (<c>MPI_Wait</c>). OpenMPI has no progress thread, so a reduction advances only at those moments, and
    /// the backward's core is never shared with a polling thread.
    /// </summary>
    BackwardCallbacks,

    /// <summary>
    /// As <see cref="BackwardCallbacks"/>, and a thread that also lets MPI progress the started reductions every
    /// millisecond (<c>MPI_Test</c>, sleeping in between, never waiting inside MPI), so a reduction moves on while
    /// backward computes between callbacks. MPI calls of the two threads take turns under one lock
    /// (<c>MPI_THREAD_SERIALIZED</c>).
    /// </summary>
    PollingThread,

    /// <summary>
    /// A communication thread runs a blocking all-reduce of each bucket as soon as it is full. OpenMPI polls while it
    /// waits for the other ranks, so that thread competes with libtorch's for the rank's core.
    /// </summary>
    CommunicationThread,
}
