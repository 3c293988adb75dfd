using System.Runtime.InteropServices;

namespace Functional.Cli;

/// <summary>
/// The program's stop request: the first SIGINT (Ctrl-C) or SIGTERM (a scheduler: Slurm, Kubernetes, <c>docker stop</c>)
/// cancels <see cref="Token"/>, and a training stops cleanly after its current step, writing a checkpoint at that step;
/// the program then exits with <see cref="ExitCode"/> (130 for SIGINT, 143 for SIGTERM, as a shell reports a process
/// ended by the signal). A second SIGINT or SIGTERM is not intercepted: the runtime's default ends the process at once.
/// </summary>
/// <remarks>
/// Under <c>mpirun</c> (OpenMPI 4), ending a job (on its own SIGTERM or SIGINT, or after a rank failed) sends every rank
/// SIGCONT at once, SIGTERM <c>odls_base_sigkill_timeout</c> seconds later (default 1) and SIGKILL as long again; and
/// <c>mpirun</c> stops reading the ranks' output at the start, so a rank that keeps writing progress fills the pipe and
/// blocks until it is killed. So under <c>mpirun</c> that SIGCONT is the stop request (exit code 143, as for the SIGTERM
/// that follows, which is then intercepted too): the ranks stop after the current step and save before the pipe fills.
/// </remarks>
public sealed class StopRequest : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly List<PosixSignalRegistration> registrations = [];
    int signal;

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The signal that asked to stop, or null when none has.</summary>
    public PosixSignal? Signal => Volatile.Read(ref signal) switch { 0 => null, var s => (PosixSignal)s };

    /// <summary>The exit code of a stopped run: <see cref="Program.Interrupted"/> after SIGINT, else (SIGTERM, or mpirun's SIGCONT) <see cref="Program.Terminated"/>.</summary>
    public int ExitCode => Signal == PosixSignal.SIGINT ? Program.Interrupted : Program.Terminated;

    /// <summary>What the program says when it has stopped: <c>stopped by Ctrl-C.</c>, <c>stopped by SIGTERM.</c>, or that mpirun is ending the job.</summary>
    public string Describe() => Signal switch
    {
        PosixSignal.SIGINT => "stopped by Ctrl-C.",
        Continue => "stopped by SIGTERM (mpirun is ending the job).",
        _ => "stopped by SIGTERM.",
    };

    /// <summary>
    /// A request that listens (<see cref="PosixSignalRegistration"/>) to SIGINT and SIGTERM, and with
    /// <paramref name="underMpirun"/> to the SIGCONT with which <c>mpirun</c> starts ending its ranks, until disposed.
    /// </summary>
    public static StopRequest ForSignals(bool underMpirun)
    {
        var request = new StopRequest();
        foreach (var each in underMpirun && !OperatingSystem.IsWindows() ? new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, Continue } : [PosixSignal.SIGINT, PosixSignal.SIGTERM])
            request.registrations.Add(PosixSignalRegistration.Create(each, context => context.Cancel = request.Request(context.Signal)));
        return request;
    }

    /// <summary>
    /// Records a stop request and cancels <see cref="Token"/>. Returns whether the signal is intercepted: true for the
    /// first request, for the SIGTERM that follows mpirun's SIGCONT, and for any SIGCONT (whose default only resumes);
    /// false for a second SIGINT or SIGTERM, which the runtime then lets end the process.
    /// </summary>
    public bool Request(PosixSignal by)
    {
        var first = Interlocked.CompareExchange(ref signal, (int)by, 0);
        if (first == 0)
        {
            source.Cancel();
            return true;
        }
        if (by == Continue) return true;
        if (by == PosixSignal.SIGTERM && first == (int)Continue) return Interlocked.Exchange(ref announcedTermination, 1) == 0;
        return false;
    }

    int announcedTermination;

    // PosixSignal.SIGCONT (-6), named by value: the platform analyzer flags the member (no SIGCONT on Windows, where no mpirun runs either).
    const PosixSignal Continue = (PosixSignal)(-6);

    /// <summary>Stops listening to the signals.</summary>
    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        source.Dispose();
    }
}
