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
    /// A communication thread runs a blocking all-reduce of each bucket as soon as it is full. OpenMPI polls while it
    /// waits for the other ranks, so that thread competes with libtorch's for the rank's core.
    /// </summary>
    CommunicationThread,
}
