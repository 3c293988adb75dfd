using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Training;

/// <summary>
/// A whole <see cref="TrainState{TParams}"/> as one checkpoint of a <see cref="CheckpointStore"/>: the tensors
/// (parameters under <c>parameters/</c>, optimizer state under <c>optimizer/</c>, the generator under
/// <c>random</c>) in safetensors format, readable from Python; the step, data position and the optimizer state's
/// structure as JSON in the file's metadata. The store provides atomic writes, the checksum and keep-last-N.
/// </summary>
public static class TrainStateFile
{
    const string Format = "functional.train-state/1";
    const string ParametersPrefix = "parameters/";
    const string OptimizerPrefix = "optimizer/";
    const string RandomName = "random";

    /// <summary>Writes <paramref name="state"/> as the checkpoint of its step; returns the file's path.</summary>
    public static string Save<TParams>(CheckpointStore store, TrainState<TParams> state)
    {
        ArgumentNullException.ThrowIfNull(store);
        var optimizer = OptimizerStates.Encode(state.OptimizerState);
        var tensors = Tree.Flatten(state.Parameters).Select(leaf => new NamedTensor(ParametersPrefix + leaf.Path, leaf.Value))
            .Concat(optimizer.Tensors.Select(leaf => new NamedTensor(OptimizerPrefix + leaf.Path, leaf.Value)))
            .Append(new NamedTensor(RandomName, state.RandomState));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = state.Position.Epoch.ToString(CultureInfo.InvariantCulture),
            ["batch"] = state.Position.Batch.ToString(CultureInfo.InvariantCulture),
            ["optimizer"] = optimizer.Structure,
        };
        return store.Save(state.Step, tensors, metadata);
    }

    /// <summary>The bytes of the tensor data a checkpoint of <paramref name="state"/> holds (the file adds a small header).</summary>
    public static long SizeOf<TParams>(TrainState<TParams> state) =>
        Tree.Flatten(state.Parameters).Select(leaf => leaf.Value)
            .Concat(OptimizerStates.Encode(state.OptimizerState).Tensors.Select(leaf => leaf.Value))
            .Append(state.RandomState)
            .Sum(tensor => tensor.numel() * tensor.element_size());

    /// <summary>
    /// Checks, before training, that the disk of <paramref name="store"/> has room for two checkpoints of
    /// <paramref name="state"/> (a new one is complete before the older is deleted) and <paramref name="extraBytes"/> more
    /// (an exported model), so that a full disk stops the run at once instead of at its first save.
    /// </summary>
    /// <exception cref="NotEnoughSpaceException">There is less room; the message says how much is needed and free.</exception>
    public static void RequireRoom<TParams>(CheckpointStore store, TrainState<TParams> state, long extraBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        var checkpoint = SizeOf(state) + (64 << 10);
        DiskSpace.Require(store.Folder, 2 * checkpoint + extraBytes,
            $"two checkpoints of {DiskSpace.Format(checkpoint)}{(extraBytes > 0 ? $" and {DiskSpace.Format(extraBytes)} more (the model)" : "")}");
    }

    /// <summary>
    /// The state saved at <paramref name="step"/>, checked against the model and pipeline it is loaded for:
    /// <paramref name="template"/> gives the parameter structure, shapes and dtypes (its tensors are not used), and
    /// <paramref name="optimizer"/> the expected optimizer-state structure. The state comes back on the template's device:
    /// its parameters and optimizer-state tensors there (the random state stays the generator's bytes).
    /// </summary>
    /// <exception cref="FileNotFoundException">The store has no checkpoint of that step.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged (checksum), is not a train state, or was written for another model or pipeline; the message
    /// names the first parameter path, shape or optimizer-state entry that differs.
    /// </exception>
    public static TrainState<TParams> Load<TParams>(CheckpointStore store, long step, TParams template, IGradientTransformation optimizer)
    {
        ArgumentNullException.ThrowIfNull(store);
        var content = store.Load(step);
        try
        {
            return Decode(content, template, optimizer, $"checkpoint of step {step}");
        }
        catch
        {
            foreach (var tensor in content.Tensors) tensor.Value.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where a run starts. With <paramref name="restart"/>, afresh (<see cref="TrainState.Init{TParams}"/> of
    /// <paramref name="fresh"/> with <paramref name="seed"/>), deleting the store's checkpoints so that they cannot mix
    /// with the new run's. Otherwise from the newest checkpoint that loads (<see cref="LoadLatest{TParams}"/>): newer
    /// ones that are damaged are set aside (<see cref="CheckpointStore.SetAside"/>) and named in the notes; afresh when
    /// the store has no checkpoint file at all. A null store always starts afresh. <paramref name="fresh"/> stays the
    /// caller's (it is the template of a load, or copied by the init).
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The store has checkpoint files but none loads (all damaged, unverifiable, or of another model or pipeline): the
    /// run refuses to start over silently; the message gives each checkpoint's problem and says to restart explicitly.
    /// </exception>
    public static Resumption<TParams> ResumeOrInit<TParams>(CheckpointStore? store, TParams fresh, IGradientTransformation optimizer, ulong seed, bool restart)
    {
        if (store is null) return new Resumption<TParams>(TrainState.Init(fresh, optimizer, seed), null, [], []);
        if (restart)
        {
            var deleted = store.Clear();
            return new Resumption<TParams>(TrainState.Init(fresh, optimizer, seed), null, [],
                deleted > 0 ? [$"Restarting as asked: deleted the {deleted} checkpoint{(deleted == 1 ? "" : "s")} in {store.Folder}."] : []);
        }
        if (LoadLatest(store, fresh, optimizer) is not { } resumed) return new Resumption<TParams>(TrainState.Init(fresh, optimizer, seed), null, [], []);
        foreach (var step in resumed.Skipped) store.SetAside(step);
        return resumed.Skipped.Count == 0 ? resumed
            : resumed with { Notes = [.. resumed.Notes, $"Set aside the checkpoint{(resumed.Skipped.Count == 1 ? "" : "s")} of step {string.Join(", ", resumed.Skipped)} as *.damaged in {store.Folder}."] };
    }

    /// <summary>
    /// The newest checkpoint of the store that loads (as <see cref="Load{TParams}"/> checks it), or null when the store
    /// has no checkpoint file. Checkpoint files without a manifest count (a process killed between the two writes, a
    /// manifest deleted): they load when their own checksum verifies. Newer checkpoints that do not load are passed over
    /// and named, with their problem, in <see cref="Resumption{TParams}.Notes"/>; the store is not changed (except that a
    /// verified file's missing manifest is written again).
    /// </summary>
    /// <exception cref="InvalidDataException">The store has checkpoint files but none loads; the message gives each one's problem.</exception>
    public static Resumption<TParams>? LoadLatest<TParams>(CheckpointStore store, TParams template, IGradientTransformation optimizer)
    {
        ArgumentNullException.ThrowIfNull(store);
        var complete = store.Steps().ToHashSet();
        var steps = store.AllSteps();
        if (steps.Count == 0) return null;
        var notes = new List<string>();
        var skipped = new List<long>();
        foreach (var step in steps.Reverse())
        {
            try
            {
                var state = Load(store, step, template, optimizer);
                if (!complete.Contains(step))
                    notes.Add($"The checkpoint of step {step} had no manifest; its own checksum verifies, so its manifest was written again.");
                return new Resumption<TParams>(state, step, skipped, notes);
            }
            catch (InvalidDataException error)
            {
                skipped.Add(step);
                notes.Add($"Passed over the checkpoint of step {step}: {error.Message}");
            }
        }
        throw new InvalidDataException(
            $"{store.Folder} has checkpoints (steps {string.Join(", ", steps)}) but none can be loaded: {string.Join(" ", notes)} "
            + "Training will not start over silently: restart explicitly (the option Restart, on the command line --restart) to delete them and begin at step 0.");
    }

    static TrainState<TParams> Decode<TParams>(SafeTensorsContent content, TParams template, IGradientTransformation optimizer, string what)
    {
        var metadata = content.Metadata;
        if (metadata.GetValueOrDefault("format") != Format)
            throw new InvalidDataException($"The {what} is not a train state (format '{metadata.GetValueOrDefault("format") ?? "none"}', expected '{Format}').");
        var parameterTensors = content.Tensors.Where(t => t.Name.StartsWith(ParametersPrefix, StringComparison.Ordinal))
            .Select(t => new NamedTensor(t.Name[ParametersPrefix.Length..], t.Value)).ToArray();
        TParams parameters;
        try
        {
            parameters = TreeFile.Restore(template, parameterTensors);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"The {what} was written for another model: {error.Message}", error);
        }

        var stored = new EncodedState(
            content.Tensors.Where(t => t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                .Select(t => new TreeLeaf(t.Name[OptimizerPrefix.Length..], OnDevice(t.Value, TrainingSteps.DeviceOf(template)))).ToArray(),
            metadata.GetValueOrDefault("optimizer") ?? throw new InvalidDataException($"The {what} has no optimizer state."));
        CheckSamePipeline(stored, template, optimizer, what);
        var random = content.Tensors.FirstOrDefault(t => t.Name == RandomName)?.Value
                     ?? throw new InvalidDataException($"The {what} has no random state '{RandomName}'.");
        return new TrainState<TParams>(parameters, OptimizerStates.Decode(stored), Number(metadata, "step", what),
            random, new DataPosition((int)Number(metadata, "epoch", what), (int)Number(metadata, "batch", what)));
    }

    /// <summary><paramref name="tensor"/> itself when it is on <paramref name="device"/>'s kind of device (or there is none), else a copy there (the original released).</summary>
    static torch.Tensor OnDevice(torch.Tensor tensor, torch.Device? device)
    {
        if (device is null || tensor.device_type == device.type) return tensor;
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    /// <summary>Compares the stored optimizer state's skeleton (record types, field names, scalar types, tensor names, dtypes and shapes) with a fresh one.</summary>
    static void CheckSamePipeline<TParams>(EncodedState stored, TParams template, IGradientTransformation optimizer, string what)
    {
        var fresh = OptimizerStates.Encode(Optimizer.Init(optimizer, template));
        try
        {
            var expected = Skeleton(fresh);
            var actual = Skeleton(stored);
            var index = Enumerable.Range(0, Math.Max(expected.Count, actual.Count))
                .FirstOrDefault(i => i >= expected.Count || i >= actual.Count || expected[i] != actual[i], -1);
            if (index >= 0)
                throw new InvalidDataException(
                    $"The {what} was written for another optimizer pipeline: the pipeline expects {expected.ElementAtOrDefault(index) ?? "nothing more"}, the checkpoint has {actual.ElementAtOrDefault(index) ?? "nothing more"}.");
        }
        finally
        {
            foreach (var leaf in fresh.Tensors) leaf.Value.Dispose();
        }
    }

    static List<string> Skeleton(EncodedState state)
    {
        var shapes = state.Tensors.ToDictionary(t => t.Path, t => $"{t.Value.dtype}{Shapes.Format(t.Value.shape)}", StringComparer.Ordinal);
        var lines = new List<string>();
        void Walk(JsonNode? node, string at)
        {
            switch (node)
            {
                case null:
                    lines.Add($"'{at}' = nothing");
                    break;
                case JsonObject o when o["tensor"] is { } name:
                    var tensorName = name.GetValue<string>();
                    lines.Add($"tensor '{tensorName}' {shapes.GetValueOrDefault(tensorName, "(missing)")}");
                    break;
                case JsonObject o when o["scalar"] is { } type:
                    lines.Add($"'{at}' of type {ShortType(type.GetValue<string>())}");
                    break;
                case JsonObject o when o["list"] is not null:
                    var items = o["items"]!.AsArray();
                    lines.Add($"'{at}' a list of {items.Count}");
                    for (var i = 0; i < items.Count; i++) Walk(items[i], TreePath.Join(at, i.ToString(CultureInfo.InvariantCulture)));
                    break;
                case JsonObject o when o["type"] is { } type:
                    lines.Add($"'{at}' a {ShortType(type.GetValue<string>())}");
                    foreach (var (field, value) in o["fields"]!.AsObject()) Walk(value, TreePath.Join(at, field));
                    break;
                default:
                    lines.Add($"'{at}' = {node.ToJsonString()}");
                    break;
            }
        }
        Walk(JsonNode.Parse(state.Structure), "");
        return lines;
    }

    static string ShortType(string assemblyQualified) => assemblyQualified.Split(',')[0].Split('.')[^1];

    static long Number(IReadOnlyDictionary<string, string> metadata, string key, string what) =>
        long.TryParse(metadata.GetValueOrDefault(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"The {what} has no valid '{key}' in its metadata.");
}
