using System.Globalization;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Training;

/// <summary>
/// A whole <see cref="TrainState{TParams, TModelState}"/> as one checkpoint of a <see cref="CheckpointStore"/>: its leaves
/// as <see cref="TrainStateTree"/> names them (parameters under <c>parameters/</c>, optimizer state under <c>optimizer/</c>, the model's non-trained state under
/// <c>model-state/</c>, the generator under <c>random</c>) in safetensors format, readable from Python; the step, data position and the optimizer state's
/// structure as JSON in the file's metadata. The store provides atomic writes, the checksum and keep-last-N.
/// </summary>
public static class TrainStateFile
{
    const string Format = "functional.train-state/3";
    static readonly string[] OlderFormats = ["functional.train-state/1", "functional.train-state/2"];
    static readonly string[] MetadataKeys = ["format", "step", "epoch", "batch"];
    const string RandomName = TrainStateTree.RandomName;

    /// <summary>Writes <paramref name="state"/> as the checkpoint of its step (its leaves, <see cref="TrainStateTree.Flatten{TParams, TModelState}"/>); returns the file's path.</summary>
    public static string Save<TParams, TModelState>(CheckpointStore store, TrainState<TParams, TModelState> state)
    {
        ArgumentNullException.ThrowIfNull(store);
        // Temporaries die with this scope, not by a finalizer (see SafeTensors.Serialize).
        using var scope = torch.NewDisposeScope();
        var flat = TrainStateTree.Flatten(state);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = state.Position.Epoch.ToString(CultureInfo.InvariantCulture),
            ["batch"] = state.Position.Batch.ToString(CultureInfo.InvariantCulture),
        };
        return store.Save(state.Step, flat.Select(leaf => new NamedTensor(leaf.Path, leaf.Value)), metadata);
    }

    /// <summary>The bytes of the tensor data a checkpoint of <paramref name="state"/> holds (the file adds a small header).</summary>
    public static long SizeOf<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        using var scope = torch.NewDisposeScope();   // the flattened counters die here, not by a finalizer (issue 31)
        return TrainStateTree.Bytes(state);
    }

    /// <summary>
    /// Checks, before training, that the disk of <paramref name="store"/> has room for what the run holds at its peak, so
    /// that a full disk stops the run at once instead of at a later save: <c>keepLast + 1</c> checkpoints of
    /// <paramref name="state"/> (the next checkpoint is complete before the oldest is deleted), less the store's
    /// checkpoints already on disk (their room is taken), and <paramref name="extraBytes"/> more (the files the run
    /// keeps beside its checkpoints, such as an exported model; while such a file is replaced atomically between two
    /// saves, its second copy fits in the room of the checkpoint being written, which is at least as large).
    /// </summary>
    /// <exception cref="NotEnoughSpaceException">There is less room; the message says how much is needed and free, and for what.</exception>
    public static void RequireRoom<TParams, TModelState>(CheckpointStore store, TrainState<TParams, TModelState> state, long extraBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        var checkpoint = SizeOf(state) + (64 << 10);
        var peak = store.KeepLast + 1;
        var present = Math.Min(store.AllSteps().Count, store.KeepLast);
        var needed = peak - present;
        DiskSpace.Require(store.Folder, needed * checkpoint + extraBytes,
            $"{needed} checkpoint{(needed == 1 ? "" : "s")} of {DiskSpace.Format(checkpoint)} (the store keeps {store.KeepLast} and writes the next before deleting the oldest"
            + $"{(present > 0 ? $"; {present} already on disk" : "")}){(extraBytes > 0 ? $" and {DiskSpace.Format(extraBytes)} more (the model)" : "")}");
    }

    /// <summary>
    /// The state saved at <paramref name="step"/>, checked against the model and pipeline it is loaded for:
    /// <paramref name="template"/> gives the parameter structure, shapes and dtypes, <paramref name="modelStateTemplate"/>
    /// the model state's (<see cref="NoState.Value"/> for a stateless model; their tensors are not used), and
    /// <paramref name="optimizer"/> the expected optimizer-state structure. The state comes back on the template's device:
    /// its parameters, optimizer-state and model-state tensors there (the random state stays the generator's bytes).
    /// </summary>
    /// <exception cref="FileNotFoundException">The store has no checkpoint of that step.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged (checksum), is not a train state, was written for another model, model state or pipeline,
    /// holds NaN or an infinity (parameters, optimizer state, model state), or has a random state a generator on the
    /// template's device would not take; the message names the file and the first tree path, shape or value that is wrong.
    /// </exception>
    public static TrainState<TParams, TModelState> Load<TParams, TModelState>(CheckpointStore store, long step, TParams template, TModelState modelStateTemplate, IGradientTransformation optimizer)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(modelStateTemplate);
        // Every tensor read or made on the way (the file's tensors, device copies, views, the template's fresh optimizer
        // state) belongs to this scope; only the state's own tensors leave it. Nothing is left to a finalizer, which could
        // free a handle on its own thread while a native call still reads it (issue 31), and a failed load releases
        // everything it read.
        using var scope = torch.NewDisposeScope();
        var state = Decode(store.Load(step), template, modelStateTemplate, optimizer, $"checkpoint of step {step} ({store.PathOf(step)})");
        scope.MoveToOuter(TrainStateTree.Tensors(state));
        return state;
    }

    /// <summary>
    /// Where a run starts. With <paramref name="restart"/>, afresh (<see cref="TrainState.Init{TParams, TModelState}"/> of
    /// <paramref name="fresh"/> and <paramref name="freshModelState"/> with <paramref name="seed"/>), deleting the store's
    /// checkpoints so that they cannot mix with the new run's. Otherwise from the newest checkpoint that loads
    /// (<see cref="LoadLatest{TParams, TModelState}"/>): newer ones that are damaged are set aside
    /// (<see cref="CheckpointStore.SetAside"/>) and named in the notes; afresh when the store has no checkpoint file at
    /// all. A null store always starts afresh. <paramref name="fresh"/> and <paramref name="freshModelState"/> (a stateless
    /// model passes <see cref="NoState.Value"/>) stay the caller's (they are the templates of a load, or copied by the init).
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The store has checkpoint files but none loads (all damaged, unverifiable, or of another model or pipeline): the
    /// run refuses to start over silently; the message gives each checkpoint's problem and says to restart explicitly.
    /// </exception>
    public static Resumption<TParams, TModelState> ResumeOrInit<TParams, TModelState>(CheckpointStore? store, TParams fresh, TModelState freshModelState, IGradientTransformation optimizer, ulong seed, bool restart)
    {
        if (store is null) return new Resumption<TParams, TModelState>(TrainState.Init(fresh, freshModelState, optimizer, seed), null, [], []);
        if (restart)
        {
            var deleted = store.Clear();
            return new Resumption<TParams, TModelState>(TrainState.Init(fresh, freshModelState, optimizer, seed), null, [],
                deleted > 0 ? [$"Restarting as asked: deleted the {deleted} checkpoint{(deleted == 1 ? "" : "s")} in {store.Folder}."] : []);
        }
        if (LoadLatest(store, fresh, freshModelState, optimizer) is not { } resumed) return new Resumption<TParams, TModelState>(TrainState.Init(fresh, freshModelState, optimizer, seed), null, [], []);
        foreach (var step in resumed.Skipped) store.SetAside(step);
        return resumed.Skipped.Count == 0 ? resumed
            : resumed with { Notes = [.. resumed.Notes, $"Set aside the checkpoint{(resumed.Skipped.Count == 1 ? "" : "s")} of step {string.Join(", ", resumed.Skipped)} as *.damaged in {store.Folder}."] };
    }

    /// <summary>
    /// The newest checkpoint of the store that loads (as <see cref="Load{TParams, TModelState}"/> checks it), or null when the store
    /// has no checkpoint file. Checkpoint files without a manifest count (a process killed between the two writes, a
    /// manifest deleted): they load when their own checksum verifies. Newer checkpoints that do not load are passed over
    /// and named, with their problem, in <see cref="Resumption{TParams, TModelState}.Notes"/>; the store is not changed (except that a
    /// verified file's missing manifest is written again).
    /// </summary>
    /// <exception cref="InvalidDataException">The store has checkpoint files but none loads; the message gives each one's problem.</exception>
    public static Resumption<TParams, TModelState>? LoadLatest<TParams, TModelState>(CheckpointStore store, TParams template, TModelState modelStateTemplate, IGradientTransformation optimizer)
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
                var manifestProblem = store.ManifestProblem(step);
                var state = Load(store, step, template, modelStateTemplate, optimizer);
                if (!complete.Contains(step))
                    notes.Add($"The checkpoint of step {step} had no manifest; its own checksum verifies, so its manifest was written again.");
                else if (manifestProblem is not null)
                    notes.Add($"The checkpoint of step {step} is intact but {manifestProblem}; the file's own checksum verifies, so its manifest was written again.");
                return new Resumption<TParams, TModelState>(state, step, skipped, notes);
            }
            catch (InvalidDataException error)
            {
                skipped.Add(step);
                notes.Add($"Passed over the checkpoint of step {step}: {error.Message}");
            }
        }
        throw new InvalidDataException(
            $"{store.Folder} has checkpoints (steps {string.Join(", ", steps)}) but none can be loaded: {string.Join(" ", notes)} "
            + "Nothing was deleted, and training will not start over silently: restore damaged files from a copy, or give the run another output folder; "
            + "only when these checkpoints are not wanted, restart explicitly (the option Restart, on the command line --restart) to delete them and begin at step 0.");
    }

    static TrainState<TParams, TModelState> Decode<TParams, TModelState>(SafeTensorsContent content, TParams template, TModelState modelStateTemplate, IGradientTransformation optimizer, string what)
    {
        var metadata = content.Metadata;
        var format = metadata.GetValueOrDefault("format");
        if (OlderFormats.Contains(format))
            throw new InvalidDataException(
                $"The {what} was written by an older version of this program (format '{format}'; this version reads '{Format}', whose optimizer "
                + "state has counters, moments and learning rates as named tree leaves), so it cannot be resumed here. The file is left as it is: "
                + "resume it with the version that wrote it, or train this version into another output folder.");
        if (format != Format)
            throw new InvalidDataException($"The {what} is not a train state (format '{format ?? "none"}', expected '{Format}').");
        if (metadata.Keys.Order(StringComparer.Ordinal).FirstOrDefault(key => !MetadataKeys.Contains(key)) is { } unknown)
            throw new InvalidDataException($"The {what} has the metadata '{unknown}', which a train state does not have (it has only {string.Join(", ", MetadataKeys)}).");
        var leaves = content.Tensors.Select(t => new TreeLeaf(t.Name, t.Value)).ToArray();
        TrainStateTree.CheckNames(leaves.Select(leaf => leaf.Path), $"The {what} ");
        // Values first: a NaN or an infinity anywhere (parameters, optimizer state with its EMA average, model state) is
        // refused here, so that a resumed run never trains on it nor writes it into its later checkpoints.
        if (FiniteValues.FirstNonFinite(content.Tensors.Where(t => t.Name != RandomName)) is { } notFinite)
            throw new InvalidDataException($"The {what} holds non-finite values at '{notFinite.Name}': {notFinite.Problem}. "
                                           + "A run that diverged or a damaged or edited file; it is not resumed from.");
        var random = content.Tensors.FirstOrDefault(t => t.Name == RandomName)?.Value
                     ?? throw new InvalidDataException($"The {what} has no random state '{RandomName}'.");
        CheckRandomState(random, TrainingSteps.DeviceOf(template), what);
        return Restore(leaves, template, modelStateTemplate, optimizer, what)
            with { Step = Number(metadata, "step", what), Position = new DataPosition((int)Number(metadata, "epoch", what), (int)Number(metadata, "batch", what)) };
    }

    /// <summary>
    /// The leaves restored (<see cref="TrainStateTree.Restore{TParams, TModelState}"/>) into a fresh state of the model and
    /// pipeline (made in the caller's dispose scope, which releases it and every leaf the result does not hold).
    /// </summary>
    static TrainState<TParams, TModelState> Restore<TParams, TModelState>(IReadOnlyList<TreeLeaf> leaves, TParams template, TModelState modelStateTemplate, IGradientTransformation optimizer, string what)
    {
        var fresh = TrainState.Init(template, modelStateTemplate, optimizer, 0);
        try
        {
            return TrainStateTree.Restore(fresh, leaves);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"The {what} {error.Message}", error);
        }
    }

    /// <summary>
    /// Refuses a random state that a generator on <paramref name="device"/> would not take: libtorch checks it only when
    /// the generator is used, and then ends the process (<c>terminate</c>) instead of throwing. The state must have the
    /// dtype and shape of a fresh generator's state there.
    /// </summary>
    static void CheckRandomState(torch.Tensor random, torch.Device? device, string what)
    {
        using var generator = new torch.Generator(0, device);
        using var expected = generator.get_state();
        if (random.dtype != expected.dtype || !random.shape.SequenceEqual(expected.shape))
            throw new InvalidDataException(
                $"The {what} has a random state '{RandomName}' of {random.dtype}{Shapes.Format(random.shape)}; a generator on {device?.ToString() ?? "the default device"} "
                + $"takes {expected.dtype}{Shapes.Format(expected.shape)} (the file was edited or written by another program).");
    }

    static long Number(IReadOnlyDictionary<string, string> metadata, string key, string what) =>
        long.TryParse(metadata.GetValueOrDefault(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"The {what} has no valid '{key}' in its metadata.");
}
