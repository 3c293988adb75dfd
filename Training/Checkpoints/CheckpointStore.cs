using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Functional.Core;

namespace Functional.Training;

/// <summary>
/// A folder of numbered checkpoints: for each step a safetensors file and a small JSON manifest holding its
/// SHA-256. Writes are atomic (temporary file, flush to disk, rename; the manifest last, so a checkpoint exists only
/// once both are complete); only the newest <c>keepLast</c> checkpoints are kept, and an older one is deleted only
/// after a newer one is complete. Loading checks the checksum, so a damaged file is reported, never half-read.
/// </summary>
public sealed class CheckpointStore
{
    readonly string directory;
    readonly int keepLast;

    /// <summary>
    /// A store in <paramref name="folder"/> (created if missing) that keeps the newest <paramref name="keepLast"/>
    /// checkpoints; temporary files left by an interrupted save are deleted. One process writes to a store at a time.
    /// </summary>
    /// <exception cref="ArgumentException">A <see cref="Validate"/> problem: an empty folder, a <paramref name="keepLast"/> below 1.</exception>
    public CheckpointStore(string folder, int keepLast)
    {
        Problems.ThrowIfAny(Validate(folder, keepLast));
        directory = folder;
        this.keepLast = keepLast;
        Directory.CreateDirectory(directory);
        // Leftovers of a write that was interrupted (a killed process): never part of a checkpoint.
        foreach (var temporary in Directory.EnumerateFiles(directory, "step-*.tmp")) File.Delete(temporary);
    }

    /// <summary>The folder holding the checkpoints.</summary>
    public string Folder => directory;

    /// <summary>
    /// The problems of these settings (none when <c>new CheckpointStore(folder, keepLast)</c> passes its checks): the
    /// folder must not be empty, and at least one checkpoint must be kept.
    /// </summary>
    public static IReadOnlyList<Problem> Validate(string? folder, int keepLast) =>
    [
        .. folder is null ? Bounds.NotNull(nameof(folder), folder)
            : Problems.Unless(!string.IsNullOrWhiteSpace(folder), nameof(folder), folder, "the folder must not be empty"),
        .. Bounds.AtLeastOne(nameof(keepLast), keepLast),
    ];

    /// <summary>The folder holding the checkpoints.</summary>
    public override string ToString() => directory;

    sealed record Manifest(long Step, string File, string Sha256);

    /// <summary>Writes the checkpoint of <paramref name="step"/>, then deletes checkpoints beyond the newest <c>keepLast</c>; returns the tensor file's path.</summary>
    public string Save(long step, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var bytes = SafeTensors.Serialize(tensors, metadata);
        var tensorFile = Name(step) + ".safetensors";
        WriteAtomically(Path.Combine(directory, tensorFile), bytes);
        var manifest = new Manifest(step, tensorFile, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        WriteAtomically(Path.Combine(directory, Name(step) + ".json"), JsonSerializer.SerializeToUtf8Bytes(manifest));
        foreach (var old in Steps().SkipLast(keepLast))
        {
            File.Delete(Path.Combine(directory, Name(old) + ".json"));
            File.Delete(Path.Combine(directory, Name(old) + ".safetensors"));
        }
        return Path.Combine(directory, tensorFile);
    }

    /// <summary>The steps of the complete checkpoints (those with a manifest), oldest first.</summary>
    public IReadOnlyList<long> Steps() =>
        Directory.EnumerateFiles(directory, "step-*.json")
            .Select(path => long.TryParse(Path.GetFileNameWithoutExtension(path)["step-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : -1)
            .Where(step => step >= 0).Order().ToArray();

    /// <summary>The checkpoint of <paramref name="step"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no complete checkpoint of that step.</exception>
    /// <exception cref="InvalidDataException">Its file does not match its manifest's checksum, or is not safetensors.</exception>
    public SafeTensorsContent Load(long step)
    {
        var manifestPath = Path.Combine(directory, Name(step) + ".json");
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"No checkpoint of step {step} in {directory}; it has steps [{string.Join(", ", Steps())}].", manifestPath);
        var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(manifestPath))
                       ?? throw new InvalidDataException($"{manifestPath} is not a checkpoint manifest.");
        var tensorPath = Path.Combine(directory, manifest.File);
        var bytes = File.ReadAllBytes(tensorPath);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != manifest.Sha256)
            throw new InvalidDataException($"Checkpoint of step {step} is damaged: {tensorPath} has SHA-256 {actual}, its manifest says {manifest.Sha256}.");
        return SafeTensors.Deserialize(bytes, tensorPath);
    }

    /// <summary>The newest checkpoint and its step, or null when there is none.</summary>
    public (long Step, SafeTensorsContent Content)? LoadLatest() => Steps() is { Count: > 0 } steps ? (steps[^1], Load(steps[^1])) : null;

    static string Name(long step) => string.Create(CultureInfo.InvariantCulture, $"step-{step:D10}");

    static void WriteAtomically(string path, byte[] content)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
