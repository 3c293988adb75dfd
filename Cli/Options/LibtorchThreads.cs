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
/// worker: on 2 cores at a load of 2 per core, steps ran several times slower than with 1 thread. So the command line
/// runs only as many threads as the load average at start leaves cores free (<see cref="ChooseForLoad"/>: 1 on a busy
/// 2-core machine), and shortens the spin to <see cref="DefaultSpinCount"/> rounds, which on a quiet machine kept within
/// 1.2x of the full spin where sleeping at once (<c>OMP_WAIT_POLICY=PASSIVE</c>) cost up to 1.6x, and bounds what a load
/// that comes later wastes (docs/articles/threads.md has the measurements of <c>Benchmarks thread-defaults</c>).
/// libgomp reads its environment once, when it loads, and .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the native environment on Linux, so
/// <see cref="ApplyDefaults"/> calls libc's <c>setenv</c> and must run before the first <c>torch</c> call.
/// </remarks>
public static class LibtorchThreads
{
    /// <summary>OpenMP's wait policy variable: <c>ACTIVE</c> workers spin, <c>PASSIVE</c> ones sleep.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>libgomp's own spin count variable (rounds an idle worker spins before it sleeps); a user who sets it has chosen the wait.</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>The rounds an idle worker spins before it sleeps, as the command line sets them when the user chose no wait (libgomp's own: 300,000).</summary>
    public const string DefaultSpinCount = "10000";

    /// <summary>libtorch's (OpenMP's) thread count variable: a user who sets it has chosen the count.</summary>
    public const string ThreadCountVariable = "OMP_NUM_THREADS";

    /// <summary>What <c>--threads</c>' help says the default does.</summary>
    public const string DefaultDescription =
        "libtorch threads (0: one per core left free by the load average at start, at least 1, unless you set OMP_NUM_THREADS; idle workers spin briefly, then sleep (GOMP_SPINCOUNT=10000 unless you set OMP_WAIT_POLICY or GOMP_SPINCOUNT); both hold up on a busy machine)";

    /// <summary>The thread count chosen at start-up for the load (<see cref="ChooseForLoad"/>); 0 when none was chosen.</summary>
    public static int StartupThreads { get; private set; }

    /// <summary>
    /// The threads for a machine of <paramref name="cores"/> cores whose 1-minute load average is <paramref name="load"/>:
    /// every core but one for each whole unit of load above the first half (so a load under 1.5, such as this process's
    /// own previous command, keeps every core), at least 1. On 2 cores, a load of 1.5 or more gives 1 thread.
    /// </summary>
    /// <remarks>
    /// Measured with <c>Benchmarks thread-defaults</c> on 2 cores (docs/articles/threads.md): with 4 busy processes, 2 threads
    /// took 1.5-2.8x (short spin) and 1.2-3.3x (passive wait) the time of 1 thread, while on a quiet machine 1 thread
    /// cost up to 1.38x of 2.
    /// </remarks>
    public static int ForLoad(int cores, double load)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        if (!double.IsFinite(load) || load < 0) throw new ArgumentOutOfRangeException(nameof(load), load, "A load average is a finite number at least 0.");
        return (int)Math.Clamp(cores - Math.Floor(Math.Max(0, load - 0.5)), 1, cores);
    }

    /// <summary>The 1-minute load average, the first field of a <c>/proc/loadavg</c>-format file; null when the file is missing or its first field is not a finite number at least 0.</summary>
    public static double? ReadLoadAverage(string path)
    {
        if (!File.Exists(path)) return null;
        var first = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var load) && double.IsFinite(load) && load >= 0 ? load : null;
    }

    /// <summary>
    /// At start-up (before libtorch loads): chooses <see cref="StartupThreads"/> from <c>/proc/loadavg</c> by
    /// <see cref="ForLoad"/> unless the user set <c>OMP_NUM_THREADS</c> or the load cannot be read; returns a line saying
    /// what it chose. <see cref="ApplyChosen"/> applies it to a command run without <c>--threads</c>.
    /// </summary>
    public static string ChooseForLoad(string loadAveragePath = "/proc/loadavg")
    {
        StartupThreads = 0;
        if (NativeValue(ThreadCountVariable) is { } count) return $"{ThreadCountVariable}={count} is the user's: libtorch's thread count is left as set.";
        if (ReadLoadAverage(loadAveragePath) is not { } load) return $"no load average in {loadAveragePath}: libtorch's thread count is left as set.";
        StartupThreads = ForLoad(Environment.ProcessorCount, load);
        return $"load average {load.ToString(System.Globalization.CultureInfo.InvariantCulture)} on {Environment.ProcessorCount} cores: {StartupThreads} libtorch thread(s).";
    }

    static readonly ConditionalWeakTable<Option<int>, object> Options = [];

    /// <summary>
    /// Sets <c>GOMP_SPINCOUNT</c> to <see cref="DefaultSpinCount"/> in the process's native environment unless the user set
    /// <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c>; returns a line saying what it did. Call it before the first
    /// <c>torch</c> call (libgomp reads the variable when libtorch loads it); later it changes nothing.
    /// </summary>
    public static string ApplyDefaults()
    {
        foreach (var chosen in new[] { WaitPolicyVariable, SpinCountVariable })
            if (NativeValue(chosen) is { } value)
                return $"{chosen}={value} is the user's: the OpenMP wait is left as set.";
        if (SetEnvironment(SpinCountVariable, DefaultSpinCount, overwrite: 0) != 0)
            return $"could not set {SpinCountVariable} (setenv failed): OpenMP's workers keep libgomp's default wait.";
        return $"{SpinCountVariable}={DefaultSpinCount}: idle OpenMP workers spin briefly, then sleep.";
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
    /// Sets libtorch's intra-op threads to the parsed value of the command's <see cref="Option"/> when it is above 0,
    /// else to <see cref="StartupThreads"/> when start-up chose a count for the load; returns the value applied (0: none).
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
        if (StartupThreads <= 0) return 0;
        torch.set_num_threads(StartupThreads);
        return StartupThreads;
    }

    [DllImport("libc.so.6", EntryPoint = "setenv")]
    static extern int SetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc.so.6", EntryPoint = "getenv")]
    static extern IntPtr GetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
