using Functional.Distributed;

namespace Functional.Cli;

/// <summary>How a training command starts under <c>mpirun</c>: one communicator per process, and any failure ends every rank.</summary>
internal static class DataParallelJob
{
    /// <summary>
    /// Runs <paramref name="work"/> with the job's communicator when the process was started by <c>mpirun</c> (null
    /// otherwise). Under a job of several ranks, an exception on this rank at any stage (the run folder's lock, a damaged
    /// <c>ranks.txt</c> or checkpoint, the fit, saving) prints <c>rank R of N: error: ...</c> and ends every rank with
    /// <c>MPI_Abort</c> and the program's exit code for it (<see cref="JobFailure"/>), instead of leaving the others waiting.
    /// </summary>
    public static void Run(CommandContext context, Action<Communicator?> work)
    {
        using var communicator = Communicator.LaunchedByMpirun ? Communicator.World() : null;
        JobFailure.EndJobOnFailure(communicator, () => work(communicator), context.Error, thrown => Program.Report(thrown, context));
    }
}
