namespace Functional.Distributed;

/// <summary>
/// Makes a failure on any rank end the whole job. A rank that throws while the others wait in a collective (a
/// broadcast of the resumed state, an all-reduce of a step) would leave them waiting forever, and
/// <c>MPI_Finalize</c> on the failing rank would wait for them too; so the failing rank prints its message and calls
/// <c>MPI_Abort</c>, and OpenMPI's launcher ends every rank of the job within about a second.
/// </summary>
/// <remarks>
/// Why an abort rather than a collective agreement on success before each collective: an agreement has to be placed
/// before every collective of every code path (the rank-count check, the state broadcast, each step's all-reduce, each
/// epoch's decision, the barrier after the fit) and still misses a failure on a rank that has not reached the next one
/// (a rank stuck loading data, or killed); the abort covers every stage at once and costs nothing when nothing fails.
/// What the abort can interrupt is safe to interrupt: checkpoints, logs and <c>ranks.txt</c> are written by
/// temp-and-rename, so a killed write leaves the previous file. The first failing rank's message is printed before the
/// abort, so it is the first message of the job (other ranks, killed by the launcher, print none of their own).
/// </remarks>
public static class JobFailure
{
    /// <summary>
    /// Runs <paramref name="work"/>. When it throws and <paramref name="communicator"/> has more than one rank, writes
    /// <c>rank R of N: </c> and <paramref name="describe"/>'s line to <paramref name="error"/>, flushes it, and ends every
    /// rank with <c>MPI_Abort</c> and <paramref name="describe"/>'s exit code (this call then does not return; if the
    /// abort itself returns, the exception is rethrown). Without a communicator, or with one rank, the exception
    /// propagates unchanged.
    /// </summary>
    /// <param name="communicator">The job, or null for one process.</param>
    /// <param name="work">Everything the rank does between starting MPI and finalising it.</param>
    /// <param name="error">Where the failing rank writes its message (standard error for a program).</param>
    /// <param name="describe">The one-line message and the non-zero exit code for an exception.</param>
    public static void EndJobOnFailure(Communicator? communicator, Action work, TextWriter error, Func<Exception, FailureReport> describe)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(describe);
        if (communicator is not { Size: > 1 })
        {
            work();
            return;
        }
        try
        {
            work();
        }
        catch (Exception thrown)
        {
            var report = describe(thrown);
            var code = report.ExitCode == 0 ? 1 : report.ExitCode;
            error.WriteLine($"rank {communicator.Rank} of {communicator.Size}: {report.Message}");
            error.Flush();
            Console.Error.Flush();
            communicator.Abort(code);
            throw;
        }
    }
}
