using System.Reflection;
using System.Runtime.InteropServices;

namespace Functional.Distributed;

/// <summary>
/// The native MPI library, found at run time: OpenMPI's <c>libmpi.so.40</c> (Debian's <c>libopenmpi3</c>, pulled in by
/// <c>openmpi-bin</c> and <c>libopenmpi-dev</c>), else <c>libmpi.so</c>. OpenMPI's handles (<c>MPI_COMM_WORLD</c>,
/// <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, ...) are the addresses of global objects of the library, read here with
/// <see cref="NativeLibrary.GetExport"/>; <c>MPI_IN_PLACE</c> is <c>(void*)1</c>. MPICH-family libraries use integer handles and
/// are not bound.
/// </summary>
internal static class MpiLibrary
{
    const string Name = "mpi";
    static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so"];
    static readonly Lazy<IntPtr> Handle = new(Load);

    /// <summary>Loads the library (once) and routes this assembly's <c>[DllImport("mpi")]</c> to it.</summary>
    /// <exception cref="DllNotFoundException">No candidate loads; the message names the packages to install.</exception>
    public static IntPtr Library => Handle.Value;

    /// <summary>The address of the exported global <paramref name="symbol"/> (an OpenMPI predefined handle).</summary>
    public static IntPtr Global(string symbol) =>
        NativeLibrary.TryGetExport(Library, symbol, out var address)
            ? address
            : throw new EntryPointNotFoundException($"The MPI library has no symbol '{symbol}': only OpenMPI (whose handles are global objects) is supported.");

    static IntPtr Load()
    {
        foreach (var candidate in Candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out var handle)) continue;
            // OpenMPI's plugins (mca components) resolve libmpi's symbols globally: make them visible (RTLD_NOLOAD | RTLD_GLOBAL).
            if (OperatingSystem.IsLinux()) _ = dlopen(candidate, 0x4 | 0x100 | 0x1);
            NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, (name, _, _) => name == Name ? handle : IntPtr.Zero);
            return handle;
        }
        throw new DllNotFoundException(
            $"No MPI library found (tried {string.Join(", ", Candidates)}). Install OpenMPI: on Debian or Ubuntu `apt-get install openmpi-bin libopenmpi-dev`, " +
            "and start the processes with `mpirun -np N ...`.");
    }

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    static extern IntPtr dlopen(string file, int mode);

    // The bound functions: every argument is blittable, so the calls marshal nothing. Handles are pointers.
    [DllImport(Name)] public static extern int MPI_Initialized(out int flag);
    [DllImport(Name)] public static extern int MPI_Finalized(out int flag);
    [DllImport(Name)] public static extern int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);
    [DllImport(Name)] public static extern int MPI_Finalize();
    [DllImport(Name)] public static extern int MPI_Comm_rank(IntPtr comm, out int rank);
    [DllImport(Name)] public static extern int MPI_Comm_size(IntPtr comm, out int size);
    [DllImport(Name)] public static extern int MPI_Comm_set_errhandler(IntPtr comm, IntPtr errhandler);
    [DllImport(Name)] public static extern int MPI_Allreduce(IntPtr sendBuffer, IntPtr receiveBuffer, int count, IntPtr datatype, IntPtr op, IntPtr comm);
    [DllImport(Name)] public static extern int MPI_Iallreduce(IntPtr sendBuffer, IntPtr receiveBuffer, int count, IntPtr datatype, IntPtr op, IntPtr comm, out IntPtr request);
    [DllImport(Name)] public static extern int MPI_Test(ref IntPtr request, out int flag, IntPtr status);
    [DllImport(Name)] public static extern int MPI_Wait(ref IntPtr request, IntPtr status);
    [DllImport(Name)] public static extern int MPI_Allgather(IntPtr sendBuffer, int sendCount, IntPtr sendType, IntPtr receiveBuffer, int receiveCount, IntPtr receiveType, IntPtr comm);
    [DllImport(Name)] public static extern int MPI_Bcast(IntPtr buffer, int count, IntPtr datatype, int root, IntPtr comm);
    [DllImport(Name)] public static extern int MPI_Barrier(IntPtr comm);
    [DllImport(Name)] public static extern int MPI_Abort(IntPtr comm, int errorCode);
    [DllImport(Name)] public static extern unsafe int MPI_Error_string(int errorCode, byte* text, out int length);

    /// <summary><c>MPI_IN_PLACE</c> in OpenMPI.</summary>
    public static readonly IntPtr InPlace = 1;

    /// <summary><c>MPI_STATUS_IGNORE</c> in OpenMPI (a null <c>MPI_Status*</c>).</summary>
    public static readonly IntPtr StatusIgnore = IntPtr.Zero;

    /// <summary><c>MPI_THREAD_SERIALIZED</c>: any thread may call MPI, one at a time (the fit loop's thread does).</summary>
    public const int ThreadSerialized = 2;

    /// <summary><c>MPI_MAX_ERROR_STRING</c> in OpenMPI.</summary>
    public const int MaxErrorString = 256;

    /// <summary>MPI's text for <paramref name="code"/>.</summary>
    public static unsafe string ErrorText(int code)
    {
        var text = stackalloc byte[MaxErrorString + 1];
        return MPI_Error_string(code, text, out var length) == 0 ? System.Text.Encoding.UTF8.GetString(text, Math.Clamp(length, 0, MaxErrorString)) : "(no error text)";
    }

    /// <summary>Throws an <see cref="MpiException"/> for a non-zero <paramref name="code"/> of <paramref name="call"/> on <paramref name="rank"/>.</summary>
    public static void Check(int code, string call, int rank)
    {
        if (code != 0) throw new MpiException(call, rank, code, ErrorText(code));
    }
}
