using Functional.Distributed;
using Functional.Training;

namespace Functional.Cli;

/// <summary>
/// How a training command starts, in one process or under <c>mpirun</c>: the command line composes the run group the
/// models train with (<see cref="IRunGroup"/>: <see cref="SingleProcess"/>, or <see cref="MpiRunGroup"/> over the job's
/// communicator), and any failure under <c>mpirun</c> ends every rank.
/// </summary>
internal static class DataParallelJob
{
    /// <summary>
    /// Runs <paramref name="work"/> with the run group: the job's ranks training as <paramref name="options"/> say when
    /// the process was started by <c>mpirun</c>, else one process. Under a job of several ranks, an exception on this rank
    /// at any stage (the run folder's lock, a damaged <c>ranks.txt</c> or checkpoint, the fit, saving) prints
    /// <c>rank R of N: error: ...</c> and ends every rank with <c>MPI_Abort</c> and the program's exit code for it
    /// (<see cref="JobFailure"/>), instead of leaving the others waiting.
    /// </summary>
    /// <exception cref="UsageException">Data-parallel options (<c>--exact</c>, <c>--zero</c>, <c>--overlap</c>) in a process not started by <c>mpirun</c>.</exception>
    public static void Run(CommandContext context, DataParallelRunOptions options, Action<IRunGroup> work)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Communicator.LaunchedByMpirun && options != DataParallelRunOptions.Default)
            throw new UsageException(
                "--exact, --zero and --overlap choose how the processes of an mpirun job reduce their gradients; this is one process. " +
                "Start it with `mpirun -np N` (also -np 1: --exact then gives the bits of any process count), or leave them out.");
        using var communicator = Communicator.LaunchedByMpirun ? Communicator.World() : null;
        IRunGroup group = communicator is null ? SingleProcess.Instance : new MpiRunGroup(communicator, options);
        JobFailure.EndJobOnFailure(communicator, () => work(group), context.Error, thrown => Program.Report(thrown, context));
    }
}
