using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Functional.Training;

/// <summary>
/// Writes a file of a run folder so that a reader (or the next run after a crash, a <c>kill -9</c> or a power cut) sees
/// either the old content or the new one, never a mix: the content goes to a temporary file in the same folder, is
/// flushed to disk (<c>fsync</c>), renamed over the target, and the folder itself is flushed (on Linux and macOS) so the
/// rename survives a power cut too.
/// </summary>
/// <remarks>
/// Contract: when a write method returns, the file holds exactly the new content; when it throws (a full disk, a
/// failing callback), the file is as it was and the temporary file is gone. A process killed mid-write leaves a
/// temporary file named <c>&lt;name&gt;.&lt;32 hex digits&gt;.tmp</c>, which <see cref="RemoveLeftovers"/> deletes.
/// </remarks>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> (UTF-8, no byte-order mark) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string content) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(content));

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> content) => Write(path, stream => stream.Write(content.Span));

    /// <summary>Writes to <paramref name="path"/> atomically what <paramref name="write"/> writes into the stream it is given.</summary>
    /// <exception cref="IOException">The write failed (a full disk: the message names the file); the old file is untouched.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        var temporary = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (IOException error) when (error is not FileNotFoundException and not DirectoryNotFoundException && IsDiskFull(error))
        {
            throw new IOException($"Could not write {full}: the disk is full ({error.Message}). The previous file is kept.", error);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        FlushFolder(folder);
    }

    /// <summary>Deletes the temporary files that writes interrupted by a killed process left in <paramref name="folder"/>; returns their names.</summary>
    /// <remarks>Only for a folder this process writes alone (see <see cref="RunFolderLock"/>): another writer's temporary file is in use.</remarks>
    public static IReadOnlyList<string> RemoveLeftovers(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var removed = Directory.EnumerateFiles(folder, "*.tmp").Where(file => Leftover().IsMatch(Path.GetFileName(file))).ToArray();
        foreach (var file in removed) File.Delete(file);
        return removed.Select(Path.GetFileName).ToArray()!;
    }

    [GeneratedRegex(@"\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex Leftover();

    /// <summary>ENOSPC (28) or EDQUOT (122) on Linux, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    static bool IsDiskFull(IOException error) =>
        (error.HResult & 0xFFFF) is 28 or 122 or 0x70 or 0x27 || error.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    /// <summary>Flushes a folder's entries (the rename) to disk where the system allows opening a folder (Linux, macOS); elsewhere nothing.</summary>
    static void FlushFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        var descriptor = Posix.Open(folder, 0 /* O_RDONLY */);
        if (descriptor < 0) return;
        Posix.Fsync(descriptor);
        Posix.Close(descriptor);
    }

    static class Posix
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        internal static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        internal static extern int Fsync(int descriptor);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static extern int Close(int descriptor);
    }
}
