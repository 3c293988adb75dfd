using System.Runtime.InteropServices;

namespace Functional.Cli;

/// <summary>
/// The program's stop request: the first SIGINT (Ctrl-C) or SIGTERM (a scheduler: Slurm, Kubernetes, <c>docker stop</c>,
/// <c>mpirun</c> passing on its own) cancels <see cref="Token"/>, and a training stops cleanly after its current step,
/// writing a checkpoint at that step; the program then exits with <see cref="ExitCode"/> (130 for SIGINT, 143 for
/// SIGTERM, as a shell reports a process ended by the signal). A second signal is not intercepted: the runtime's
/// default ends the process at once.
/// </summary>
public sealed class StopRequest : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly List<PosixSignalRegistration> registrations = [];
    int signal;

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The signal that asked to stop, or null when none has.</summary>
    public PosixSignal? Signal => Volatile.Read(ref signal) switch { 0 => null, var s => (PosixSignal)s };

    /// <summary>The exit code of a stopped run: <see cref="Program.Terminated"/> after SIGTERM, else <see cref="Program.Interrupted"/>.</summary>
    public int ExitCode => Signal == PosixSignal.SIGTERM ? Program.Terminated : Program.Interrupted;

    /// <summary>What the program says when it has stopped: <c>stopped by SIGTERM.</c> or <c>stopped by Ctrl-C.</c></summary>
    public string Describe() => Signal == PosixSignal.SIGTERM ? "stopped by SIGTERM." : "stopped by Ctrl-C.";

    /// <summary>A request that listens to SIGINT and SIGTERM (<see cref="PosixSignalRegistration"/>) until disposed.</summary>
    public static StopRequest ForSignals()
    {
        var request = new StopRequest();
        foreach (var each in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            request.registrations.Add(PosixSignalRegistration.Create(each, context => context.Cancel = request.Request(context.Signal)));
        return request;
    }

    /// <summary>Records the first stop request and cancels <see cref="Token"/>; true for the first, false for any later one.</summary>
    public bool Request(PosixSignal by)
    {
        if (Interlocked.CompareExchange(ref signal, (int)by, 0) != 0) return false;
        source.Cancel();
        return true;
    }

    /// <summary>Stops listening to the signals.</summary>
    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        source.Dispose();
    }
}
