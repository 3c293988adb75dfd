using System.Globalization;

namespace Functional.Training;

/// <summary>
/// One writer per run folder: an advisory lock that a training run holds on its output folder from before it opens
/// its checkpoints until it ends, so that a second run into the same folder stops at once, naming the first.
/// </summary>
/// <remarks>
/// The lock is the file <see cref="LockFileName"/> opened without sharing (an exclusive <c>flock</c> on Linux and
/// macOS, an exclusive open on Windows). The operating system releases it when the process ends, however it ends
/// (<c>kill -9</c> included), so a lock left by a dead process is no lock: the next run takes it. The holder's
/// process id is written to <see cref="OwnerFileName"/> (through a temporary file and a rename, so it is never
/// read half-written) for the message another run prints. Contract: <see cref="Acquire"/> returns a held lock or
/// throws <see cref="RunFolderInUseException"/>; <see cref="Dispose"/> releases it (idempotent).
/// </remarks>
public sealed class RunFolderLock : IDisposable
{
    /// <summary>The file whose exclusive open is the lock.</summary>
    public const string LockFileName = ".lock";

    /// <summary>The file that names the holder's process id.</summary>
    public const string OwnerFileName = ".lock.owner";

    readonly FileStream stream;

    RunFolderLock(string folder, FileStream stream)
    {
        Folder = folder;
        this.stream = stream;
    }

    /// <summary>The folder this lock holds.</summary>
    public string Folder { get; }

    /// <summary>Takes the lock of <paramref name="folder"/> (creating the folder if needed) for this process.</summary>
    /// <exception cref="RunFolderInUseException">Another process (or another run in this one) holds it.</exception>
    public static RunFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        FileStream stream;
        try
        {
            stream = new FileStream(Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException error) when (error is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw new RunFolderInUseException(folder, Owner(folder), error);
        }
        var temporary = Path.Combine(folder, OwnerFileName + ".tmp");
        File.WriteAllText(temporary, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temporary, Path.Combine(folder, OwnerFileName), overwrite: true);
        return new RunFolderLock(folder, stream);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => stream.Dispose();

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
