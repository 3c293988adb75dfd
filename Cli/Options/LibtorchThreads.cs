using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Functional.Cli;

/// <summary>
/// How the command line runs libtorch's threads: a default that holds on a busy machine, set once at start-up before
/// libtorch loads, and the explicit <c>--threads N</c> of a command, applied before the command runs. The application
/// chooses; no library sets thread counts.
/// </summary>
/// <remarks>
/// libtorch-cpu runs its intra-op threads on GNU OpenMP (libgomp), whose idle workers spin for about 300,000 rounds
/// before they sleep. When the cores are shared with other work, the spinning workers take CPU from the thread that has
/// the work and from the other processes, and each of the many small parallel ops of a step waits for a descheduled
/// worker: on 2 cores at a load of 2 per core, steps ran several times slower than with 1 thread. With
/// <c>OMP_WAIT_POLICY=PASSIVE</c> an idle worker sleeps at once; the thread count stays libtorch's own, so a quiet
/// machine keeps its parallel speed (docs/articles/performance.md, "Threads on a busy machine", has the measurements of
/// <c>Benchmarks thread-defaults</c>). libgomp reads its environment once, when it loads, and .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the native environment on Linux, so
/// <see cref="ApplyDefaults"/> calls libc's <c>setenv</c> and must run before the first <c>torch</c> call.
/// </remarks>
public static class LibtorchThreads
{
    /// <summary>OpenMP's wait policy variable: <c>ACTIVE</c> workers spin, <c>PASSIVE</c> ones sleep.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>libgomp's own spin count variable (rounds an idle worker spins before it sleeps); a user who sets it has chosen the wait.</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>The wait policy the command line sets when the user chose none.</summary>
    public const string DefaultWaitPolicy = "PASSIVE";

    /// <summary>What <c>--threads</c>' help says the default does.</summary>
    public const string DefaultDescription =
        "libtorch threads (0: libtorch's default, one per core, with idle workers sleeping rather than spinning (OMP_WAIT_POLICY=PASSIVE unless you set OMP_WAIT_POLICY or GOMP_SPINCOUNT), which holds up on a busy machine)";

    static readonly ConditionalWeakTable<Option<int>, object> Options = [];

    /// <summary>
    /// Sets <c>OMP_WAIT_POLICY=PASSIVE</c> in the process's native environment unless the user set
    /// <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c>; returns a line saying what it did. Call it before the first
    /// <c>torch</c> call (libgomp reads the variable when libtorch loads it); later it changes nothing.
    /// </summary>
    public static string ApplyDefaults()
    {
        foreach (var chosen in new[] { WaitPolicyVariable, SpinCountVariable })
            if (NativeValue(chosen) is { } value)
                return $"{chosen}={value} is the user's: the OpenMP wait is left as set.";
        if (SetEnvironment(WaitPolicyVariable, DefaultWaitPolicy, overwrite: 0) != 0)
            return $"could not set {WaitPolicyVariable} (setenv failed): OpenMP's workers keep libgomp's default wait.";
        return $"{WaitPolicyVariable}={DefaultWaitPolicy}: idle OpenMP workers sleep.";
    }

    /// <summary>The value of <paramref name="name"/> in the native environment (what libgomp reads), or null when unset.</summary>
    public static string? NativeValue(string name) => Marshal.PtrToStringUTF8(GetEnvironment(name));

    /// <summary>
    /// A <c>--threads</c> option for libtorch's intra-op threads, in [0, <see cref="Flags.MaxThreads"/>] (0: the default
    /// described by <see cref="DefaultDescription"/>); <see cref="ApplyChosen"/> applies it before the command runs.
    /// </summary>
    public static Option<int> Option(int byDefault, string description = DefaultDescription)
    {
        var option = Flags.Threads(byDefault, description);
        Options.Add(option, Options);
        return option;
    }

    /// <summary>
    /// Sets libtorch's intra-op threads to the parsed value of the command's <see cref="Option"/> when it is above 0;
    /// returns the value applied (0: none, or the command has no such option).
    /// </summary>
    public static int ApplyChosen(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        foreach (var option in parsed.CommandResult.Command.Options.OfType<Option<int>>())
            if (Options.TryGetValue(option, out _) && parsed.GetValue(option) is > 0 and var threads)
            {
                torch.set_num_threads(threads);
                return threads;
            }
        return 0;
    }

    [DllImport("libc.so.6", EntryPoint = "setenv")]
    static extern int SetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc.so.6", EntryPoint = "getenv")]
    static extern IntPtr GetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
