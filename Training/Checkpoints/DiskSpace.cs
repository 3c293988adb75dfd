using System.Globalization;

namespace Functional.Training;

/// <summary>
/// Free space of the disk holding a run folder, checked before work that would otherwise fail late: before training
/// (room for two checkpoints and a model) and before each checkpoint is written.
/// </summary>
public static class DiskSpace
{
    /// <summary>Bytes available to this process on the disk holding <paramref name="folder"/> (which must exist).</summary>
    public static long Free(string folder) => new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;

    /// <summary>Throws unless the disk holding <paramref name="folder"/> has at least <paramref name="bytes"/> free.</summary>
    /// <param name="folder">An existing folder on the disk.</param>
    /// <param name="bytes">The room needed.</param>
    /// <param name="what">What the room is for, for the message ("two checkpoints and a model of ...").</param>
    /// <exception cref="NotEnoughSpaceException">The disk has less free space; the message names the folder, the need and the free space.</exception>
    public static void Require(string folder, long bytes, string what)
    {
        var free = Free(folder);
        if (free < bytes) throw new NotEnoughSpaceException(Path.GetFullPath(folder), bytes, free, what);
    }

    /// <summary>A byte count as people read it (<c>13.5 MB</c>).</summary>
    public static string Format(long bytes) => bytes switch
    {
        < 1 << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
        < 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} kB"),
        < 1 << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:F2} GB"),
    };
}

/// <summary>The disk of a run folder has too little free space for what comes next (<see cref="DiskSpace.Require"/>).</summary>
public sealed class NotEnoughSpaceException(string folder, long needed, long free, string what)
    : IOException($"Not enough free space in {folder} for {what}: it needs {DiskSpace.Format(needed)}, the disk has {DiskSpace.Format(free)} free. "
        + "Free some space or choose another output folder; nothing was written.")
{
    /// <summary>The folder.</summary>
    public string Folder { get; } = folder;

    /// <summary>The bytes needed.</summary>
    public long Needed { get; } = needed;

    /// <summary>The bytes free.</summary>
    public long Free { get; } = free;
}
