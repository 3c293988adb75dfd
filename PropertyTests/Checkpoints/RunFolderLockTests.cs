using System.Diagnostics;
using Xunit;
using Functional.Training;

namespace Functional.PropertyTests.Checkpoints;

/// <summary>One writer per run folder: a second writer is refused naming the first; a dead writer's lock is no lock.</summary>
public sealed class RunFolderLockTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("run-lock").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_second_writer_is_refused_naming_the_folder_and_the_first_writers_process()
    {
        using var first = RunFolderLock.Acquire(folder);
        var error = Assert.Throws<RunFolderInUseException>(() => RunFolderLock.Acquire(folder));
        Assert.Equal(Environment.ProcessId, error.Owner);
        Assert.Contains(folder, error.Message);
        Assert.Contains($"process {Environment.ProcessId}", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Deleting_the_lock_file_during_a_run_does_not_let_a_second_writer_in(bool recreate)
    {
        using var first = RunFolderLock.Acquire(folder);
        File.Delete(Path.Combine(folder, RunFolderLock.LockFileName));
        if (recreate) File.WriteAllText(Path.Combine(folder, RunFolderLock.LockFileName), "");

        var error = Assert.Throws<RunFolderInUseException>(() => RunFolderLock.Acquire(folder));

        Assert.Equal(Environment.ProcessId, error.Owner);
        Assert.Contains($"The run folder '{folder}' is in use by process {Environment.ProcessId}", error.Message);
        first.Dispose();
        using var again = RunFolderLock.Acquire(folder); // released with the first run, the folder is free again
    }

    [Fact]
    public void Another_process_holding_the_folder_itself_refuses_us_whatever_the_lock_file()
    {
        if (!OperatingSystem.IsLinux()) return;   // flock(1) locks the folder here
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", "--no-fork", folder, "sleep", "60"]) { UseShellExecute = false })!;
        try
        {
            var deadline = Stopwatch.StartNew();
            RunFolderInUseException? error = null;
            while (error is null && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                try
                {
                    File.WriteAllText(Path.Combine(folder, RunFolderLock.OwnerFileName), "4242\n"); // the holder's, as it would have written
                    RunFolderLock.Acquire(folder).Dispose();   // flock(1) may not hold it yet
                    Thread.Sleep(20);
                }
                catch (RunFolderInUseException refused)
                {
                    error = refused;
                }
            }
            Assert.NotNull(error);
            Assert.Equal(4242, error.Owner);
            Assert.Contains($"The run folder '{folder}' is in use by process 4242", error.Message);
        }
        finally
        {
            if (!holder.HasExited) holder.Kill();
        }
    }

    [Fact]
    public void A_released_lock_can_be_taken_again()
    {
        RunFolderLock.Acquire(folder).Dispose();
        using var again = RunFolderLock.Acquire(folder);
        Assert.Equal(folder, again.Folder);
    }

    [Fact]
    public void Lock_files_left_behind_with_nobody_holding_them_are_no_lock()
    {
        File.WriteAllText(Path.Combine(folder, RunFolderLock.LockFileName), "");
        File.WriteAllText(Path.Combine(folder, RunFolderLock.OwnerFileName), "999999\n");
        using var taken = RunFolderLock.Acquire(folder);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            File.ReadAllText(Path.Combine(folder, RunFolderLock.OwnerFileName)).Trim());
    }

    [Fact]
    public void Another_process_holding_the_lock_refuses_us_until_it_is_killed()
    {
        if (!OperatingSystem.IsLinux()) return;   // flock(1) is the other process here
        var path = Path.Combine(folder, RunFolderLock.LockFileName);
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", "--no-fork", path, "sleep", "60"]) { UseShellExecute = false })!;
        try
        {
            var deadline = Stopwatch.StartNew();
            // Wait until flock holds the file (it creates it first).
            while (!Held(path) && deadline.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
            Assert.True(Held(path), "flock did not take the lock within 10 s");
            Assert.Throws<RunFolderInUseException>(() => RunFolderLock.Acquire(folder));

            holder.Kill();   // SIGKILL: the operating system releases the lock with the process
            holder.WaitForExit();
            using var taken = RunFolderLock.Acquire(folder);
        }
        finally
        {
            if (!holder.HasExited) holder.Kill();
        }
    }

    /// <summary>Whether another process holds the lock file (not yet made counts as not held).</summary>
    static bool Held(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException error) when (error is not (FileNotFoundException or DirectoryNotFoundException))
        {
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
