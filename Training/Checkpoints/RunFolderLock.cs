using System.Globalization;
using System.Runtime.InteropServices;

namespace Functional.Training;

/// <summary>
/// One writer per run folder: an advisory lock that a training run holds on its output folder from before it opens
/// its checkpoints until it ends, so that a second run into the same folder stops at once, naming the first.
/// </summary>
/// <remarks>
/// On Linux and macOS the lock is an exclusive <c>flock</c> on the folder itself (where the file system allows it), held
/// on an open descriptor of the folder for the whole run: deleting or replacing a file inside the folder (<see cref="LockFileName"/> included) does
/// not release it, so a second run cannot slip in while the first writes. Besides, and alone on Windows, the file
/// <see cref="LockFileName"/> is opened without sharing (an exclusive open; what earlier versions used, so they are
/// refused too). The operating system releases both when the process ends, however it ends (<c>kill -9</c> included),
/// so a lock left by a dead process is no lock: the next run takes it. The holder's process id is written to
/// <see cref="OwnerFileName"/> (through a temporary file and a rename, so it is never read half-written) for the
/// message another run prints. Contract: <see cref="Acquire"/> returns a held lock or throws
/// <see cref="RunFolderInUseException"/>; <see cref="Dispose"/> releases it (idempotent).
/// </remarks>
public sealed class RunFolderLock : IDisposable
{
    /// <summary>The file whose exclusive open is the lock.</summary>
    public const string LockFileName = ".lock";

    /// <summary>The file that names the holder's process id.</summary>
    public const string OwnerFileName = ".lock.owner";

    readonly FileStream stream;
    int folderDescriptor;

    RunFolderLock(string folder, int folderDescriptor, FileStream stream)
    {
        Folder = folder;
        this.folderDescriptor = folderDescriptor;
        this.stream = stream;
    }

    /// <summary>The folder this lock holds.</summary>
    public string Folder { get; }

    /// <summary>Takes the lock of <paramref name="folder"/> (creating the folder if needed) for this process.</summary>
    /// <exception cref="RunFolderInUseException">Another process (or another run in this one) holds it.</exception>
    public static RunFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        var descriptor = LockFolder(folder);
        FileStream stream;
        try
        {
            stream = new FileStream(Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException error) when (error is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            Posix.Release(descriptor);
            throw new RunFolderInUseException(folder, Owner(folder), error);
        }
        var temporary = Path.Combine(folder, OwnerFileName + ".tmp");
        File.WriteAllText(temporary, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temporary, Path.Combine(folder, OwnerFileName), overwrite: true);
        return new RunFolderLock(folder, descriptor, stream);
    }

    /// <summary>
    /// An open descriptor of <paramref name="folder"/> holding its exclusive <c>flock</c> (Linux, macOS), or -1 where a
    /// folder cannot be locked so (Windows, or a file system that refuses: then the lock file alone is the lock).
    /// </summary>
    /// <exception cref="RunFolderInUseException">Another open descriptor holds the folder's lock.</exception>
    static int LockFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return -1;
        var descriptor = Posix.Open(Path.GetFullPath(folder), OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000 /* O_RDONLY | O_CLOEXEC */);
        if (descriptor < 0) return -1;
        if (Posix.Flock(descriptor, 2 | 4 /* LOCK_EX | LOCK_NB */) == 0) return descriptor;
        var errno = Marshal.GetLastPInvokeError();
        Posix.Close(descriptor);
        if (errno is 11 or 35 /* EWOULDBLOCK on Linux, macOS */)
            throw new RunFolderInUseException(folder, Owner(folder), new IOException($"The folder '{folder}' is locked (flock, errno {errno})."));
        return -1;
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        stream.Dispose();
        Posix.Release(Interlocked.Exchange(ref folderDescriptor, -1));
    }

    static class Posix
        {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        internal static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
        internal static extern int Flock(int descriptor, int operation);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static extern int Close(int descriptor);

        /// <summary>Closes <paramref name="descriptor"/> (releasing its lock) unless it is -1.</summary>
        internal static void Release(int descriptor)
        {
            if (descriptor >= 0) Close(descriptor);
        }
    }

    /// <summary>The process id the owner file names, or null when it names none.</summary>
    static int? Owner(string folder)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(folder, OwnerFileName)).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>A run folder is held by another writer (<see cref="RunFolderLock"/>).</summary>
public sealed class RunFolderInUseException(string folder, int? owner, Exception inner)
    : IOException($"The run folder '{folder}' is in use by {(owner is { } id ? $"process {id}" : "another process")}: "
        + "one training writes there at a time. Wait for it to end, or choose another output folder.", inner)
{
    /// <summary>The folder.</summary>
    public string Folder { get; } = folder;

    /// <summary>The holder's process id, when its owner file names one.</summary>
    public int? Owner { get; } = owner;
}
