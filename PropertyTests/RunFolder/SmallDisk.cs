using System.Diagnostics;

namespace Functional.PropertyTests.RunFolder;

/// <summary>
/// A small tmpfs mounted for one test (<c>mount -t tmpfs -o size=...</c>, which needs root, as CI runs the tests on a
/// fresh machine); unmounted on dispose. <see cref="TryMount"/> returns null with the reason when mounting is not
/// permitted, so the test can say it did not run.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    SmallDisk(string folder) => Folder = folder;

    /// <summary>The mount point.</summary>
    public string Folder { get; }

    /// <summary>A tmpfs of <paramref name="size"/> (as mount says it: <c>2m</c>), or null and why not.</summary>
    public static SmallDisk? TryMount(string size, out string reason)
    {
        var folder = Path.Combine(Path.GetTempPath(), "functional-tests", "tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", folder);
        reason = output;
        if (code == 0) return new SmallDisk(folder);
        Directory.Delete(folder);
        return null;
    }

    /// <summary>Unmounts the tmpfs (its content goes with it) and removes the mount point.</summary>
    public void Dispose()
    {
        Run("umount", Folder);
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }

    static (int Code, string Output) Run(string program, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Trim());
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return (-1, error.Message);
        }
    }
}
