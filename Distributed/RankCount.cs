using System.Globalization;

namespace Functional.Distributed;

/// <summary>
/// The number of processes a run folder was trained with, kept beside its checkpoints (<c>ranks.txt</c>), so that a
/// resume with another count is refused: the data position, the ranks' shards and their random streams assume the
/// same count. A folder with checkpoints and no record was written by one process.
/// </summary>
public static class RankCount
{
    /// <summary>The record's file name.</summary>
    public const string FileName = "ranks.txt";

    /// <summary>
    /// Checks that <paramref name="folder"/> may continue with <paramref name="ranks"/> processes and records the count
    /// when the folder has none yet (call on one process only: the root).
    /// </summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="ranks">The job's process count.</param>
    /// <param name="hasCheckpoints">Whether the folder already holds checkpoints (a resume).</param>
    /// <exception cref="InvalidOperationException">The folder was trained with another count.</exception>
    public static void CheckAndRecord(string folder, int ranks, bool hasCheckpoints)
    {
        var recorded = Recorded(folder, hasCheckpoints);
        if (recorded is { } count && count != ranks)
            throw new InvalidOperationException(Mismatch(folder, count, ranks));
        if (recorded is null || !File.Exists(Path.Combine(folder, FileName)))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, FileName), ranks.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    /// <summary>
    /// <see cref="CheckAndRecord(string, int, bool)"/> for a job: the root checks and records, every rank learns the outcome, so all of
    /// them throw together or none does. A null <paramref name="folder"/> (no checkpoints kept) checks nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder was trained with another count (on every rank).</exception>
    public static void CheckAndRecord(Communicator communicator, string? folder, bool hasCheckpoints)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        Span<long> recorded = [0];
        if (communicator.IsRoot && folder is not null)
        {
            recorded[0] = Recorded(folder, hasCheckpoints) ?? communicator.Size;
            if (recorded[0] == communicator.Size) CheckAndRecord(folder, communicator.Size, hasCheckpoints);
        }
        communicator.Broadcast(recorded, 0);
        if (recorded[0] != 0 && recorded[0] != communicator.Size)
            throw new InvalidOperationException(Mismatch(folder ?? "(the root's folder)", (int)recorded[0], communicator.Size));
    }

    /// <summary>The count <paramref name="folder"/> was trained with: its record, else 1 when it has checkpoints, else null (a fresh folder).</summary>
    public static int? Recorded(string folder, bool hasCheckpoints)
    {
        var path = Path.Combine(folder, FileName);
        if (File.Exists(path)) return int.Parse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        return hasCheckpoints ? 1 : null;
    }

    /// <summary>The message for a resume with another count.</summary>
    public static string Mismatch(string folder, int recorded, int ranks) =>
        string.Create(CultureInfo.InvariantCulture,
            $"The run in '{folder}' was trained with {recorded} process{(recorded == 1 ? "" : "es")} and cannot resume with {ranks}: start it with `mpirun -np {recorded}` (or {(recorded == 1 ? "without mpirun" : "the same count")}), or use a new output folder.");
}
