using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Functional.Core;

namespace Functional.Training;

/// <summary>
/// A folder of numbered checkpoints: for each step a safetensors file and a small JSON manifest (<see cref="RunJson"/>:
/// <c>{"step":…,"file":…,"sha256":…}</c>; older PascalCase manifests still read) holding its SHA-256 (the file also carries its own, <see cref="SafeTensors.ChecksumKey"/>). Writes are atomic
/// (<see cref="AtomicFile"/>: temporary file, flush to disk, rename; the manifest last, so a checkpoint is complete only
/// once both are written) and checked for free space first; only the newest <c>keepLast</c> checkpoints are kept, and an older one is deleted only
/// after a newer one is complete. Loading checks the checksum, so a damaged file is reported, never half-read.
/// </summary>
public sealed class CheckpointStore
{
    readonly string directory;
    readonly int keepLast;

    /// <summary>
    /// A store in <paramref name="folder"/> (created if missing) that keeps the newest <paramref name="keepLast"/>
    /// checkpoints. Opening and reading change no file (a reader may look at a folder another process is writing to);
    /// the first <see cref="Save"/> deletes the temporary files an interrupted save left. One process writes to a store
    /// at a time (a trainer holds the run folder's <see cref="RunFolderLock"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A <see cref="Validate"/> problem: an empty folder, a <paramref name="keepLast"/> below 1.</exception>
    public CheckpointStore(string folder, int keepLast)
    {
        Problems.ThrowIfAny(Validate(folder, keepLast));
        directory = folder;
        this.keepLast = keepLast;
        Directory.CreateDirectory(directory);
    }

    /// <summary>Whether this store has saved (and so cleared an interrupted save's leftovers).</summary>
    bool saved;

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

    /// <summary>
    /// Writes the checkpoint of <paramref name="step"/>, then deletes checkpoints beyond the newest <c>keepLast</c>;
    /// returns the tensor file's path. The store's first save first deletes the temporary files of an interrupted save. The disk's free space is checked first; when it is short, or the write fails,
    /// nothing is left of the new checkpoint (no temporary file) and the older checkpoints are untouched.
    /// </summary>
    /// <exception cref="NotEnoughSpaceException">The disk has less free space than the checkpoint needs.</exception>
    /// <exception cref="IOException">The write failed (the disk filled up meanwhile).</exception>
    public string Save(long step, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        if (!saved)
        {
            // Leftovers of a write that was interrupted (a killed process): never part of a checkpoint. Only the writer
            // deletes them, and only once it writes: another process's save in progress is never touched by a reader.
            AtomicFile.RemoveLeftovers(directory);
            foreach (var temporary in Directory.EnumerateFiles(directory, "step-*.tmp")) File.Delete(temporary);
            saved = true;
        }
        var bytes = SafeTensors.Serialize(tensors, metadata);
        var tensorFile = Name(step) + ".safetensors";
        // Room for the file, its manifest and the file system's own blocks.
        DiskSpace.Require(directory, bytes.Length + (64 << 10), $"the checkpoint of step {step}");
        var tensorPath = Path.Combine(directory, tensorFile);
        AtomicFile.WriteAllBytes(tensorPath, bytes);
        var manifest = new Manifest(step, tensorFile, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        try
        {
            AtomicFile.WriteAllBytes(Path.Combine(directory, Name(step) + ".json"), JsonSerializer.SerializeToUtf8Bytes(manifest, RunJson.Options));
        }
        catch (IOException)
        {
            File.Delete(tensorPath);
            throw;
        }
        foreach (var old in AllSteps().SkipLast(keepLast)) Delete(old);
        return tensorPath;
    }

    /// <summary>The path of the tensor file of the checkpoint of <paramref name="step"/> (whether or not it exists), for messages.</summary>
    public string PathOf(long step) => Path.Combine(directory, Name(step) + ".safetensors");

    /// <summary>How many checkpoints the store keeps (the newest ones); while a save runs it holds one more.</summary>
    public int KeepLast => keepLast;

    /// <summary>The steps of the complete checkpoints (those with a manifest), oldest first.</summary>
    public IReadOnlyList<long> Steps() => StepsOf("json");

    /// <summary>
    /// The steps of every checkpoint file, with a manifest or without (a process killed between writing the file and its
    /// manifest, or a manifest deleted by hand), oldest first.
    /// </summary>
    public IReadOnlyList<long> AllSteps() => StepsOf("json").Union(StepsOf("safetensors")).Order().ToArray();

    IReadOnlyList<long> StepsOf(string extension) =>
        Directory.EnumerateFiles(directory, "step-*." + extension)
            .Select(path => long.TryParse(Path.GetFileNameWithoutExtension(path)["step-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : -1)
            .Where(step => step >= 0).Order().ToArray();

    /// <summary>
    /// The checkpoint of <paramref name="step"/>, checked against its manifest's SHA-256 and the file's own. A file
    /// whose manifest is missing or damaged (empty, truncated, not a manifest) loads when it carries its own checksum
    /// (<see cref="SafeTensors.ChecksumKey"/>) and that checksum matches; its manifest is then written again
    /// (<see cref="ManifestProblem"/> says, before the load, whether that will happen).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no checkpoint file of that step.</exception>
    /// <exception cref="InvalidDataException">
    /// The checkpoint is damaged: its file is missing, does not match a checksum or is not safetensors, or its manifest
    /// is missing or damaged and the file has no checksum of its own. The message names the file.
    /// </exception>
    public SafeTensorsContent Load(long step)
    {
        var manifestPath = Path.Combine(directory, Name(step) + ".json");
        var tensorPath = PathOf(step);
        if (!File.Exists(manifestPath))
        {
            if (!File.Exists(tensorPath))
                throw new FileNotFoundException($"No checkpoint of step {step} in {directory}; it has steps [{string.Join(", ", AllSteps())}].", manifestPath);
            return LoadByOwnChecksum(step, tensorPath, manifestPath, $"its manifest {manifestPath} is missing");
        }
        Manifest manifest;
        try
        {
            manifest = ReadManifest(manifestPath, step);
        }
        catch (InvalidDataException) when (File.Exists(tensorPath))
        {
            // A torn manifest says nothing about the tensor file, which may verify by its own checksum.
            return LoadByOwnChecksum(step, tensorPath, manifestPath, DamagedManifest(manifestPath));
        }
        tensorPath = Path.Combine(directory, manifest.File);
        if (!File.Exists(tensorPath))
            throw new InvalidDataException($"Checkpoint of step {step} is damaged: its manifest {manifestPath} names {tensorPath}, which is missing.");
        var bytes = File.ReadAllBytes(tensorPath);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != manifest.Sha256)
            throw new InvalidDataException($"Checkpoint of step {step} is damaged: {tensorPath} has SHA-256 {actual}, its manifest says {manifest.Sha256}.");
        return Deserialize(bytes, tensorPath, step);
    }

    /// <summary>
    /// What is wrong with the manifest of the checkpoint of <paramref name="step"/> (missing, or empty, truncated or not a
    /// manifest), or null when it reads; nothing is changed. A <see cref="Load"/> of such a checkpoint rests on the
    /// tensor file's own checksum and writes the manifest again.
    /// </summary>
    public string? ManifestProblem(long step)
    {
        var manifestPath = Path.Combine(directory, Name(step) + ".json");
        if (!File.Exists(manifestPath)) return $"its manifest {manifestPath} is missing";
        try
        {
            ReadManifest(manifestPath, step);
            return null;
        }
        catch (InvalidDataException)
        {
            return DamagedManifest(manifestPath);
        }
    }

    /// <summary>The checkpoint file of <paramref name="step"/> verified by its own checksum alone; its manifest is written again.</summary>
    SafeTensorsContent LoadByOwnChecksum(long step, string tensorPath, string manifestPath, string manifestProblem)
    {
        var orphan = File.ReadAllBytes(tensorPath);
        var content = Deserialize(orphan, tensorPath, step);
        if (content.Checksum is null)
        {
            foreach (var tensor in content.Tensors) tensor.Value.Dispose();
            throw new InvalidDataException($"Checkpoint of step {step} is damaged: {manifestProblem} and {tensorPath} has no checksum of its own, so it cannot be verified.");
        }
        AtomicFile.WriteAllBytes(manifestPath, JsonSerializer.SerializeToUtf8Bytes(new Manifest(step, Path.GetFileName(tensorPath), Convert.ToHexStringLower(SHA256.HashData(orphan))), RunJson.Options));
        return content;
    }

    /// <summary>The newest checkpoint and its step, or null when there is none.</summary>
    public (long Step, SafeTensorsContent Content)? LoadLatest() => Steps() is { Count: > 0 } steps ? (steps[^1], Load(steps[^1])) : null;

    /// <summary>
    /// Moves the files of the checkpoint of <paramref name="step"/> aside (renamed to <c>*.damaged</c>, kept for
    /// inspection but no longer a checkpoint), so a run that resumed from an older one does not meet it again.
    /// </summary>
    public void SetAside(long step)
    {
        foreach (var extension in new[] { ".json", ".safetensors" })
        {
            var path = Path.Combine(directory, Name(step) + extension);
            if (File.Exists(path)) File.Move(path, path + ".damaged", overwrite: true);
        }
    }

    /// <summary>Deletes every checkpoint file (a run that starts afresh on purpose); returns how many checkpoints there were.</summary>
    public int Clear()
    {
        var count = AllSteps().Count;
        foreach (var file in Directory.EnumerateFiles(directory, "step-*")) File.Delete(file);
        return count;
    }

    void Delete(long step)
    {
        File.Delete(Path.Combine(directory, Name(step) + ".json"));
        File.Delete(Path.Combine(directory, Name(step) + ".safetensors"));
    }

    Manifest ReadManifest(string path, long step)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(path), RunJson.Options);
            if (manifest is { File: { Length: > 0 } file, Sha256: { Length: 64 } } && manifest.Step == step && Path.GetFileName(file) == file) return manifest;
        }
        catch (JsonException)
        {
        }
        throw new InvalidDataException($"Checkpoint of step {step} is damaged: {DamagedManifest(path)}.");
    }

    static string DamagedManifest(string path) => $"its manifest {path} is empty, truncated or not a checkpoint manifest";

    static SafeTensorsContent Deserialize(byte[] bytes, string path, long step)
    {
        try
        {
            return SafeTensors.Deserialize(bytes, path);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"Checkpoint of step {step} is damaged: {error.Message}", error);
        }
    }

    static string Name(long step) => string.Create(CultureInfo.InvariantCulture, $"step-{step:D10}");
}
