using System.Globalization;
using System.Text.Json;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>A GAN checkpoint read back: the options it was trained with and its whole state.</summary>
/// <param name="Options">The options saved with it (they fix the network sizes).</param>
/// <param name="State">Parameters, optimizer state, spectral vectors and step.</param>
public sealed record GanCheckpointContent(GanOptions Options, GanState State);

/// <summary>
/// A whole <see cref="GanState"/> as one checkpoint of a <see cref="CheckpointStore"/>: tensors named
/// <c>parameters/...</c> (<see cref="TreeFile"/>), <c>spectral/...</c> and <c>optimizer/...</c>
/// (<see cref="StateLeaves"/>: moments named after their parameters, counters as 0-d tensors, no type names), with the
/// options as metadata. Loading restores the optimizer state into a fresh <c>Init</c> of the GAN's optimizer and gives a
/// state equal to the saved one, so training resumes exactly.
/// </summary>
public static class GanCheckpoint
{
    const string OptionsKey = "gan-options";
    const string OlderOptimizerKey = "optimizer-structure";
    static readonly string[] MetadataKeys = [OptionsKey, "step"];

    /// <summary>Saves <paramref name="state"/> as the checkpoint of its step; returns the file written.</summary>
    public static string Save(CheckpointStore store, GanState state, GanOptions options)
    {
        using var optimizer = StateLeaves.Flatten(state.OptimizerState, Tree.Flatten(state.Parameters));
        var tensors = Prefixed("parameters", TreeFile.Tensors(state.Parameters))
            .Concat(state.Spectral is null ? [] : Prefixed("spectral", TreeFile.Tensors(state.Spectral)))
            .Concat(optimizer.Leaves.Select(leaf => new NamedTensor(TreePath.Join("optimizer", leaf.Path), leaf.Value)));
        var metadata = new Dictionary<string, string>
        {
            [OptionsKey] = JsonSerializer.Serialize(options),
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
        };
        return store.Save(state.Step, tensors, metadata);
    }

    /// <summary>The newest checkpoint of <paramref name="store"/> on <paramref name="device"/>, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The checkpoint is damaged or is not a GAN checkpoint; the message says what is missing.</exception>
    public static GanCheckpointContent? LoadLatest(CheckpointStore store, torch.Device device) =>
        store.LoadLatest() is { } latest ? Read(latest.Content, latest.Step, device) : null;

    static GanCheckpointContent Read(SafeTensorsContent content, long step, torch.Device device)
    {
        if (content.Metadata.ContainsKey(OlderOptimizerKey))
            throw new InvalidDataException(
                $"Checkpoint of step {step} was written by an older version of this program (its optimizer state names CLR types); it cannot be loaded: start over with --restart.");
        if (content.Metadata.Keys.Order(StringComparer.Ordinal).FirstOrDefault(key => !MetadataKeys.Contains(key)) is { } unknown)
            throw new InvalidDataException($"Checkpoint of step {step} has the metadata '{unknown}', which a GAN checkpoint does not have (it has only {string.Join(", ", MetadataKeys)}).");
        var options = content.Metadata.TryGetValue(OptionsKey, out var json) ? JsonSerializer.Deserialize<GanOptions>(json) : null;
        if (options is null)
            throw new InvalidDataException($"Checkpoint of step {step} is not a GAN checkpoint: it lacks the '{OptionsKey}' metadata.");
        if (content.Tensors.FirstOrDefault(t => !t.Name.StartsWith("parameters/", StringComparison.Ordinal) && !t.Name.StartsWith("spectral/", StringComparison.Ordinal)
                                                && !t.Name.StartsWith("optimizer/", StringComparison.Ordinal)) is { } stray)
            throw new InvalidDataException($"Checkpoint of step {step} has the tensor '{stray.Name}', which is neither a parameter, a spectral vector nor an optimizer-state leaf.");
        using var generator = new torch.Generator(0, device);
        var template = GanState.Init(generator, options, GanOptimizer.Adam(options), device);
        try
        {
            var parameters = TreeFile.Restore(template.Parameters, Unprefixed("parameters", content.Tensors));
            var spectral = template.Spectral is null ? null : TreeFile.Restore(template.Spectral, Unprefixed("spectral", content.Tensors));
            var saved = Unprefixed("optimizer", content.Tensors)
                .Select(t => new TreeLeaf(t.Name, t.Value.device_type == device.type ? t.Value : t.Value.to(device))).ToArray();
            object optimizer;
            try
            {
                optimizer = StateLeaves.Restore(template.OptimizerState, Tree.Flatten(template.Parameters), saved);
            }
            catch (TreeMismatchException error)
            {
                throw new InvalidDataException(
                    $"Checkpoint of step {step} does not fit the GAN's optimizer: at 'optimizer/{error.Path}' the optimizer expects {error.Expected}, the checkpoint has {error.Actual}.", error);
            }
            var kept = OptimizerStates.Tensors(optimizer).ToHashSet(ReferenceEqualityComparer.Instance);
            foreach (var leaf in saved.Where(leaf => !kept.Contains(leaf.Value))) leaf.Value.Dispose();
            return new GanCheckpointContent(options, new GanState(parameters, optimizer, spectral, step));
        }
        finally
        {
            Tree.Dispose(template.Parameters);
            if (template.Spectral is not null) Tree.Dispose(template.Spectral);
            foreach (var tensor in OptimizerStates.Tensors(template.OptimizerState)) tensor.Dispose();
        }
    }

    static IEnumerable<NamedTensor> Prefixed(string prefix, IEnumerable<NamedTensor> tensors) =>
        tensors.Select(t => new NamedTensor(TreePath.Join(prefix, t.Name), t.Value));

    static IReadOnlyList<NamedTensor> Unprefixed(string prefix, IEnumerable<NamedTensor> tensors) =>
        tensors.Where(t => t.Name.StartsWith(prefix + "/", StringComparison.Ordinal))
            .Select(t => new NamedTensor(t.Name[(prefix.Length + 1)..], t.Value)).ToArray();
}
