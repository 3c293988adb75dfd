using System.Text.Json;
using Functional.Core;
using TorchSharp;
using Functional.Models.Text;
using Functional.Training;

namespace Functional.Models.Titles;

/// <summary>Everything needed to title an article: the parameters, the vocabulary they were trained with, and the model's shape.</summary>
/// <param name="Parameters">The learned parameters.</param>
/// <param name="Vocabulary">The character vocabulary (its size is the parameters' vocabulary).</param>
/// <param name="Options">The shape and limits the parameters were made with.</param>
public sealed record TrainedTitleModel(TitleModelParams Parameters, CharacterVocabulary Vocabulary, TitleModelOptions Options)
{
    const string ParametersFile = "model.safetensors";
    const string VocabularyFile = "vocabulary.txt";
    const string OptionsKey = "title-model-options";

    /// <summary>Writes <c>model.safetensors</c> (parameters by tree path, the options as metadata) and <c>vocabulary.txt</c> into <paramref name="directory"/> (created if missing).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var bytes = SafeTensors.Serialize(TreeFile.Tensors(Parameters), new Dictionary<string, string> { [OptionsKey] = JsonSerializer.Serialize(Options) });
        var path = Path.Combine(directory, ParametersFile);
        File.WriteAllBytes(path + ".tmp", bytes);
        File.Move(path + ".tmp", path, overwrite: true);
        Vocabulary.Save(Path.Combine(directory, VocabularyFile));
    }

    /// <summary>Reads a model written by <see cref="Save"/> onto <paramref name="device"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to make one.</exception>
    /// <exception cref="InvalidDataException">The files do not fit together (shapes, vocabulary size, options).</exception>
    public static TrainedTitleModel Load(string directory, torch.Device device)
    {
        var path = Path.Combine(directory, ParametersFile);
        var vocabularyPath = Path.Combine(directory, VocabularyFile);
        foreach (var file in new[] { path, vocabularyPath })
            if (!File.Exists(file))
                throw new FileNotFoundException($"No title model at {directory}: {file} is missing. Train one with 'titles train --out {directory}'.", file);
        var content = SafeTensors.Deserialize(File.ReadAllBytes(path), path);
        var options = content.Metadata.TryGetValue(OptionsKey, out var json) && JsonSerializer.Deserialize<TitleModelOptions>(json) is { } parsed
            ? parsed.Validate()
            : throw new InvalidDataException($"{path} has no '{OptionsKey}' metadata: it is not a title model.");
        var vocabulary = CharacterVocabulary.Load(vocabularyPath);
        using var generator = new torch.Generator(0, device);
        var template = TitleModel.Init(generator, vocabulary.Size, options, device);
        var restored = TreeFile.Restore(template, content.Tensors);
        var parameters = Tree.Map(restored, tensor => tensor.detach());
        Tree.Dispose(template);
        Tree.Dispose(restored);
        return new TrainedTitleModel(parameters, vocabulary, options);
    }
}
