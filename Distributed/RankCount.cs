using Functional.Training;

namespace Functional.Distributed;

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
/// never an empty file.
/// </remarks>
public static class RankCount
{
    /// <summary>The record's file name (<see cref="RankCountRecord.FileName"/>).</summary>
    public const string FileName = RankCountRecord.FileName;

    /// <summary>As <see cref="RankCountRecord.CheckAndRecord"/>.</summary>
    /// <exception cref="InvalidOperationException">The folder was trained with another count, or its record is damaged (the message names the file).</exception>
    public static void CheckAndRecord(string folder, int ranks, bool hasCheckpoints) => RankCountRecord.CheckAndRecord(folder, ranks, hasCheckpoints);

    /// <summary>As <see cref="RankCountRecord.CheckSingleProcess"/>.</summary>
    /// <exception cref="InvalidOperationException">The folder was trained with several processes, or its record is damaged.</exception>
    public static void CheckSingleProcess(string folder, bool hasCheckpoints) => RankCountRecord.CheckSingleProcess(folder, hasCheckpoints);

    /// <summary>
    /// <see cref="CheckAndRecord(string, int, bool)"/> for a job: the root checks and records, every rank learns the outcome, so all of
    /// them throw together or none does. A null <paramref name="folder"/> (no checkpoints kept) checks nothing. A damaged
    /// record fails on the root alone; end the job on such failures with <see cref="JobFailure"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder was trained with another count (on every rank), or its record is damaged (on the root).</exception>
    public static void CheckAndRecord(Communicator communicator, string? folder, bool hasCheckpoints)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        Span<long> recorded = [0];
        if (communicator.IsRoot && folder is not null)
        {
            recorded[0] = (hasCheckpoints ? Recorded(folder, hasCheckpoints) : null) ?? communicator.Size;
            if (recorded[0] == communicator.Size) CheckAndRecord(folder, communicator.Size, hasCheckpoints);
        }
        communicator.Broadcast(recorded, 0);
        if (recorded[0] != 0 && recorded[0] != communicator.Size)
            throw new InvalidOperationException(Mismatch(folder ?? "(the root's folder)", (int)recorded[0], communicator.Size));
    }

    /// <summary>As <see cref="RankCountRecord.Recorded"/>.</summary>
    /// <exception cref="InvalidOperationException">The record is not a positive whole number (the message names the file and what it holds).</exception>
    public static int? Recorded(string folder, bool hasCheckpoints) => RankCountRecord.Recorded(folder, hasCheckpoints);

    /// <summary>As <see cref="RankCountRecord.Mismatch"/>.</summary>
    public static string Mismatch(string folder, int recorded, int ranks) => RankCountRecord.Mismatch(folder, recorded, ranks);
}
