using System.Globalization;

namespace Functional.Training;

/// <summary>
/// The number of processes a run folder was trained with, kept beside its checkpoints (<c>ranks.txt</c>), so that a
/// resume with another count is refused: the data position, the ranks' shards and their random streams assume the
/// same count. A folder with checkpoints and no record was written by one process.
/// </summary>
/// <remarks>
/// A resume with another count is refused rather than attempted: N ranks average N shard means per step, which is not
/// the same float sum as one process's mean over the global batch (they agree only within rounding, see the
/// data-parallel tests), so the resumed run would not be the bits of either an uninterrupted 1-process or N-process run.
/// The record is written by temp-and-rename (<see cref="AtomicFile"/>): a kill mid-write leaves the old record or none,
/// never an empty file. The file logic lives here, in <c>Training</c>, so a single process needs no MPI binding; a job's
/// agreement on it is <see cref="IRunGroup.CheckRankCount"/>.
/// </remarks>
public static class RankCountRecord
{
    /// <summary>The record's file name.</summary>
    public const string FileName = "ranks.txt";

    /// <summary>
    /// Checks that <paramref name="folder"/> may continue with <paramref name="ranks"/> processes and records the count
    /// (call on one process only: the root). A folder without checkpoints starts afresh, so its record (a stale one left
    /// by a run whose checkpoints were deleted) is replaced by <paramref name="ranks"/>.
    /// </summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="ranks">The job's process count.</param>
    /// <param name="hasCheckpoints">Whether the folder already holds checkpoints (a resume).</param>
    /// <exception cref="InvalidOperationException">The folder was trained with another count, or its record is damaged (the message names the file).</exception>
    public static void CheckAndRecord(string folder, int ranks, bool hasCheckpoints)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        var path = Path.Combine(folder, FileName);
        if (hasCheckpoints)
        {
            var recorded = Recorded(folder, hasCheckpoints: true)!.Value;
            if (recorded != ranks) throw new InvalidOperationException(Mismatch(folder, recorded, ranks));
            if (File.Exists(path)) return;
        }
        else if (File.Exists(path) && ReadRecord(path) == ranks) return;
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(path, ranks.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    /// <summary>
    /// The check for a run in one process (no <c>mpirun</c>): a folder with checkpoints whose record names another count
    /// is refused, naming the count to start it with. Nothing is written for a single-process run with checkpoints (no
    /// record means one process); a folder without checkpoints loses a stale record, since the new run starts afresh.
    /// </summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="hasCheckpoints">Whether the folder already holds checkpoints (a resume).</param>
    /// <exception cref="InvalidOperationException">The folder was trained with several processes, or its record is damaged.</exception>
    public static void CheckSingleProcess(string folder, bool hasCheckpoints)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return;
        if (!hasCheckpoints)
        {
            File.Delete(path);
            return;
        }
        var recorded = ReadRecord(path);
        if (recorded != 1) throw new InvalidOperationException(Mismatch(folder, recorded, 1));
    }

    /// <summary>The count <paramref name="folder"/> was trained with: its record, else 1 when it has checkpoints, else null (a fresh folder).</summary>
    /// <exception cref="InvalidOperationException">The record is not a positive whole number (the message names the file and what it holds).</exception>
    public static int? Recorded(string folder, bool hasCheckpoints)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = Path.Combine(folder, FileName);
        if (File.Exists(path)) return ReadRecord(path);
        return hasCheckpoints ? 1 : null;
    }

    static int ReadRecord(string path)
    {
        var text = File.ReadAllText(path);
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0) return count;
        var shown = text.Length > 40 ? text[..40] + "..." : text;
        throw new InvalidOperationException(
            $"The process-count record '{path}' is damaged: it holds \"{shown.ReplaceLineEndings(" ").Trim()}\" where a positive whole number " +
            "(the count the run was started with) belongs. Write that count into it (for example `echo 2 > ranks.txt` for a run started with `mpirun -np 2`), " +
            "or use a new output folder; the checkpoints are untouched.");
    }

    /// <summary>The message for a resume with another count.</summary>
    public static string Mismatch(string folder, int recorded, int ranks) =>
        string.Create(CultureInfo.InvariantCulture,
            $"The run in '{folder}' was trained with {recorded} process{(recorded == 1 ? "" : "es")} and cannot resume with {ranks}: start it with {(recorded == 1 ? "one process (without mpirun)" : $"`mpirun -np {recorded}`")}, or use a new output folder (a different count would not give the same bits as the run it continues).");
}
