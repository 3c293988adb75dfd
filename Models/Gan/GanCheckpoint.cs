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
/// (<see cref="OptimizerStates.Encode"/>), with the options and the optimizer state's structure as metadata.
/// Loading gives a state equal to the saved one, so training resumes exactly.
/// </summary>
public static class GanCheckpoint
{
    const string OptionsKey = "gan-options";
    const string OptimizerKey = "optimizer-structure";

    /// <summary>Saves <paramref name="state"/> as the checkpoint of its step; returns the file written.</summary>
    public static string Save(CheckpointStore store, GanState state, GanOptions options)
    {
        var optimizer = OptimizerStates.Encode(state.OptimizerState);
        var tensors = Prefixed("parameters", TreeFile.Tensors(state.Parameters))
            .Concat(state.Spectral is null ? [] : Prefixed("spectral", TreeFile.Tensors(state.Spectral)))
            .Concat(optimizer.Tensors.Select(leaf => new NamedTensor(TreePath.Join("optimizer", leaf.Path), leaf.Value)));
        var metadata = new Dictionary<string, string>
        {
            [OptionsKey] = JsonSerializer.Serialize(options),
            [OptimizerKey] = optimizer.Structure,
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
        var options = content.Metadata.TryGetValue(OptionsKey, out var json) ? JsonSerializer.Deserialize<GanOptions>(json) : null;
        if (options is null || !content.Metadata.TryGetValue(OptimizerKey, out var structure))
            throw new InvalidDataException($"Checkpoint of step {step} is not a GAN checkpoint: it lacks the '{OptionsKey}' or '{OptimizerKey}' metadata.");
        using var generator = new torch.Generator(0, device);
        var template = GanState.Init(generator, options, GanOptimizer.Adam(options), device);
        var parameters = TreeFile.Restore(template.Parameters, Unprefixed("parameters", content.Tensors));
        var spectral = template.Spectral is null ? null : TreeFile.Restore(template.Spectral, Unprefixed("spectral", content.Tensors));
        var optimizer = OptimizerStates.Decode(new EncodedState(
            Unprefixed("optimizer", content.Tensors).Select(t => new TreeLeaf(t.Name, t.Value.device_type == device.type ? t.Value : t.Value.to(device))).ToArray(), structure));
        Tree.Dispose(template);
        return new GanCheckpointContent(options, new GanState(parameters, optimizer, spectral, step));
    }

    static IEnumerable<NamedTensor> Prefixed(string prefix, IEnumerable<NamedTensor> tensors) =>
        tensors.Select(t => new NamedTensor(TreePath.Join(prefix, t.Name), t.Value));

    static IReadOnlyList<NamedTensor> Unprefixed(string prefix, IEnumerable<NamedTensor> tensors) =>
        tensors.Where(t => t.Name.StartsWith(prefix + "/", StringComparison.Ordinal))
            .Select(t => new NamedTensor(t.Name[(prefix.Length + 1)..], t.Value)).ToArray();
}
