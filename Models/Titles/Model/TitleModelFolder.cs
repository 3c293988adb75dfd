using System.Text.Json;
using Functional.Models.Titles.UniLm;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>Loads a model folder of any kind: the kind recorded in its options (<see cref="TitleModelOptions.Kind"/>; none: an LSTM) picks the loader.</summary>
public static class TitleModelFolder
{
    /// <summary>
    /// The kind recorded in <paramref name="directory"/>'s <c>model.safetensors</c>, or null when there is no model file
    /// or it records none readable (the loaders then say what is wrong).
    /// </summary>
    public static string? Kind(string directory)
    {
        var path = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(path)) return null;
        try
        {
            var content = SafeTensors.Deserialize(File.ReadAllBytes(path), path);
            foreach (var tensor in content.Tensors) tensor.Value.Dispose();
            if (!content.Metadata.TryGetValue(TrainedTitleModel.OptionsKey, out var json)) return null;
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty(nameof(TitleModelOptions.Kind), out var kind) ? kind.GetString() : TitleModelKinds.Lstm;
        }
        catch (Exception error) when (error is InvalidDataException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Loads the model in <paramref name="directory"/> onto <paramref name="device"/> with the loader of its kind.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The model file is damaged, malformed, or of an unknown kind.</exception>
    public static ITitleModel Load(string directory, torch.Device device) =>
        Kind(directory) == TitleModelKinds.UniLm ? TrainedUniLm.Load(directory, device) : TrainedTitleModel.Load(directory, device);
}
