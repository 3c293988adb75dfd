using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Functional.Core;
using TorchSharp;

namespace Functional.Training;

/// <summary>One kept checkpoint of a <see cref="BestCheckpoints"/> folder.</summary>
/// <param name="Step">The training step whose parameters it holds.</param>
/// <param name="Epoch">The 0-based epoch validated.</param>
/// <param name="Value">The monitored metric's value there.</param>
/// <param name="File">The safetensors file's name in the folder.</param>
/// <param name="Sha256">The file's SHA-256 (lower-case hex).</param>
public sealed record BestCheckpoint(long Step, int Epoch, double Value, string File, string Sha256);

/// <summary>The manifest of a <see cref="BestCheckpoints"/> folder, <c>best.json</c> (camelCase, <see cref="RunJson"/>).</summary>
/// <param name="Monitor">The metric the checkpoints are ranked by.</param>
/// <param name="Minimize">Whether smaller is better.</param>
/// <param name="Checkpoints">The kept checkpoints, best first (ties: the older first).</param>
public sealed record BestCheckpointManifest(string Monitor, bool Minimize, IReadOnlyList<BestCheckpoint> Checkpoints);

/// <summary>
/// A folder holding the parameters (and model state) of the best <see cref="KeepBest"/> validations by a metric — the
/// storage of Keras' <c>ModelCheckpoint(monitor, mode, save_best_only)</c>, keeping k. Each is a safetensors file
/// (<c>parameters/…</c>, <c>model-state/…</c>, as in a train-state checkpoint), listed in the manifest
/// <c>best.json</c> with its step, epoch, metric value and SHA-256. The manifest on disk is the truth: a resumed run
/// knows the best so far from it.
/// </summary>
/// <remarks>
/// Writes are atomic (<see cref="AtomicFile"/>): the new file, then the manifest, then the files that left the manifest
/// are deleted; only a file worse than every kept one ever leaves it, so a better file is never deleted. A crash between
/// the steps leaves at most an unlisted file, never a listed file missing. A non-finite value is never kept. One
/// process writes a folder at a time.
/// </remarks>
public sealed class BestCheckpoints
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "best.json";

    const string Format = "functional.best-checkpoint/1";
    const string ParametersPrefix = "parameters/";
    const string ModelStatePrefix = "model-state/";

    /// <summary>A folder (created if missing) keeping the best <paramref name="keepBest"/> values of <paramref name="monitor"/>.</summary>
    /// <exception cref="ArgumentException">An empty folder or monitor, or <paramref name="keepBest"/> below 1.</exception>
    public BestCheckpoints(string folder, string monitor, bool minimize, int keepBest)
    {
        Problems.ThrowIfAny(Validate(folder, monitor, keepBest));
        Folder = folder;
        Monitor = monitor;
        Minimize = minimize;
        KeepBest = keepBest;
        Directory.CreateDirectory(folder);
    }

    /// <summary>The problems of these settings (none when the constructor succeeds).</summary>
    public static IReadOnlyList<Problem> Validate(string? folder, string? monitor, int keepBest) =>
    [
        .. folder is null ? Bounds.NotNull(nameof(folder), folder)
            : Problems.Unless(!string.IsNullOrWhiteSpace(folder), nameof(folder), folder, "the folder must not be empty"),
        .. monitor is null ? Bounds.NotNull(nameof(monitor), monitor)
            : Problems.Unless(!string.IsNullOrWhiteSpace(monitor), nameof(monitor), monitor, "name the metric to monitor"),
        .. Bounds.AtLeastOne(nameof(keepBest), keepBest),
    ];

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>The metric ranked by.</summary>
    public string Monitor { get; }

    /// <summary>Whether smaller is better.</summary>
    public bool Minimize { get; }

    /// <summary>How many checkpoints are kept.</summary>
    public int KeepBest { get; }

    /// <summary>The manifest's path.</summary>
    public string ManifestPath => Path.Combine(Folder, ManifestName);

    /// <summary>The kept checkpoints, best first, read from the manifest (none when there is no manifest).</summary>
    /// <exception cref="InvalidDataException">The manifest is damaged, or ranks another metric or direction; the message names the file.</exception>
    public IReadOnlyList<BestCheckpoint> Kept()
    {
        if (!File.Exists(ManifestPath)) return [];
        BestCheckpointManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BestCheckpointManifest>(File.ReadAllBytes(ManifestPath), RunJson.Options);
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{ManifestPath} is not a best-checkpoint manifest: {error.Message}", error);
        }
        if (manifest is not { Monitor: not null, Checkpoints: not null } || manifest.Checkpoints.Any(c => c is null || string.IsNullOrEmpty(c.File) || Path.GetFileName(c.File) != c.File))
            throw new InvalidDataException($"{ManifestPath} is not a best-checkpoint manifest (a monitor and a list of checkpoints with file names).");
        if (manifest.Monitor != Monitor || manifest.Minimize != Minimize)
            throw new InvalidDataException(
                $"{ManifestPath} ranks by '{manifest.Monitor}' ({Direction(manifest.Minimize)}), not by '{Monitor}' ({Direction(Minimize)}): use another folder, or delete it to start the ranking afresh.");
        return manifest.Checkpoints;
    }

    static string Direction(bool minimize) => minimize ? "smaller is better" : "larger is better";

    /// <summary>Whether <paramref name="value"/> ranks strictly before <paramref name="other"/>.</summary>
    public bool Better(double value, double other) => Minimize ? value < other : value > other;

    /// <summary>
    /// Keeps the validated <paramref name="parameters"/> and <paramref name="modelState"/> of <paramref name="step"/> when
    /// <paramref name="value"/> is finite and among the best <see cref="KeepBest"/> (an earlier entry of the same step,
    /// from an interrupted run, is then replaced; when the new value is not kept the manifest is left as it is); returns
    /// the new entry, or null when it was not kept. Nothing given is changed or released.
    /// </summary>
    /// <exception cref="NotEnoughSpaceException">The disk has no room for the file (nothing is changed).</exception>
    public BestCheckpoint? Offer<TParams, TModelState>(long step, int epoch, double value, TParams parameters, TModelState modelState)
    {
        ArgumentNullException.ThrowIfNull(modelState);
        if (!double.IsFinite(value)) return null;
        var kept = Kept().Where(c => c.Step != step).ToList();
        var rank = kept.FindIndex(c => Better(value, c.Value));
        if (rank < 0) rank = kept.Count;
        if (rank >= KeepBest) return null;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["monitor"] = Monitor,
            ["value"] = value.ToString("R", CultureInfo.InvariantCulture),
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
        };
        var tensors = Tree.Flatten(parameters).Select(leaf => new NamedTensor(ParametersPrefix + leaf.Path, leaf.Value))
            .Concat(Tree.Flatten(modelState).Select(leaf => new NamedTensor(ModelStatePrefix + leaf.Path, leaf.Value)));
        var bytes = SafeTensors.Serialize(tensors, metadata);
        var file = string.Create(CultureInfo.InvariantCulture, $"step-{step:D10}.safetensors");
        DiskSpace.Require(Folder, bytes.Length + (64 << 10), $"the best checkpoint of step {step} ({Monitor} {value.ToString("G6", CultureInfo.InvariantCulture)})");
        AtomicFile.WriteAllBytes(Path.Combine(Folder, file), bytes);
        var entry = new BestCheckpoint(step, epoch, value, file, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        kept.Insert(rank, entry);
        var dropped = kept.Skip(KeepBest).ToArray();
        AtomicFile.WriteAllBytes(ManifestPath, JsonSerializer.SerializeToUtf8Bytes(new BestCheckpointManifest(Monitor, Minimize, kept.Take(KeepBest).ToArray()), RunJson.Indented));
        foreach (var worse in dropped)
            if (worse.File != file) File.Delete(Path.Combine(Folder, worse.File));
        return entry;
    }

    /// <summary>
    /// The parameters kept in <paramref name="checkpoint"/>, shaped as <paramref name="template"/> (whose tensors are not
    /// used) and on its device, checked against the manifest's SHA-256; the caller owns the result. (The model state in
    /// the file is read by any safetensors reader under <c>model-state/</c>.)
    /// </summary>
    /// <exception cref="InvalidDataException">The file is missing, damaged, or holds another parameter tree; the message names the file and the first differing path.</exception>
    public TParams LoadParameters<TParams>(BestCheckpoint checkpoint, TParams template)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var path = Path.Combine(Folder, checkpoint.File);
        if (!File.Exists(path)) throw new InvalidDataException($"The best checkpoint of step {checkpoint.Step} is missing: {path}.");
        var bytes = File.ReadAllBytes(path);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != checkpoint.Sha256)
            throw new InvalidDataException($"The best checkpoint {path} is damaged: its SHA-256 is {actual}, {ManifestPath} says {checkpoint.Sha256}.");
        var content = SafeTensors.Deserialize(bytes, path);
        var byName = content.Tensors.ToDictionary(t => t.Name, t => t.Value, StringComparer.Ordinal);
        try
        {
            var leaves = Tree.Flatten(template).Select(leaf =>
            {
                if (!byName.TryGetValue(ParametersPrefix + leaf.Path, out var tensor))
                    throw new InvalidDataException($"The best checkpoint {path} has no parameter '{leaf.Path}'.");
                if (tensor.dtype != leaf.Value.dtype || !tensor.shape.SequenceEqual(leaf.Value.shape))
                    throw new InvalidDataException($"The best checkpoint {path} holds '{leaf.Path}' as {tensor.dtype}{Shapes.Format(tensor.shape)}; the model expects {leaf.Value.dtype}{Shapes.Format(leaf.Value.shape)}.");
                return tensor;
            }).ToArray();
            var used = new HashSet<torch.Tensor>(leaves, ReferenceEqualityComparer.Instance);
            foreach (var tensor in content.Tensors) if (!used.Contains(tensor.Value)) tensor.Value.Dispose();
            var device = Tree.Leaves(template).FirstOrDefault()?.device;
            return Tree.Unflatten(template, leaves.Select(tensor =>
            {
                if (device is null || tensor.device_type == device.type && tensor.device_index == device.index) return tensor;
                var moved = tensor.to(device);
                tensor.Dispose();
                return moved;
            }).ToArray());
        }
        catch
        {
            foreach (var tensor in content.Tensors) tensor.Value.Dispose();
            throw;
        }
    }
}
