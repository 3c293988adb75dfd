using System.Text.Json;
using Functional.Core;
using Functional.Models.Text;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Titles.UniLm;

/// <summary>A trained UniLM title model: parameters, vocabulary and shape (<see cref="TitleModelOptions.Kind"/> is <see cref="TitleModelKinds.UniLm"/>).</summary>
/// <param name="Parameters">The learned parameters.</param>
/// <param name="Vocabulary">The character vocabulary (its size is the parameters' vocabulary).</param>
/// <param name="Options">The shape and limits the parameters were made with.</param>
public sealed record TrainedUniLm(UniLmParams Parameters, CharacterVocabulary Vocabulary, TitleModelOptions Options) : ITitleModel
{
    const string ParametersFile = "model.safetensors";
    const string VocabularyFile = "vocabulary.txt";

    /// <summary>Beam search on the KV cache (<see cref="UniLmDecoding.DecodeMany"/>).</summary>
    public DecodedTitle[] DecodeMany(IReadOnlyList<int[]> articles, BeamSearchOptions options) => UniLmDecoding.DecodeMany(Parameters, articles, options);

    /// <summary>Greedy decoding: beam search of width 1, which is greedy decoding exactly.</summary>
    public DecodedTitle[] DecodeGreedy(IReadOnlyList<int[]> articles, GreedyOptions options) =>
        DecodeMany(articles, new BeamSearchOptions(1, options.MinLength, options.MaxLength, false) { NoRepeatNgram = options.NoRepeatNgram });

    /// <summary>
    /// Writes <c>vocabulary.txt</c> and <c>model.safetensors</c> (parameters by tree path, the options with their kind
    /// as metadata, the file's SHA-256) into <paramref name="directory"/> (created if missing), each atomically.
    /// </summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var bytes = SafeTensors.Serialize(TreeFile.Tensors(Parameters), new Dictionary<string, string> { [TrainedTitleModel.OptionsKey] = JsonSerializer.Serialize(Options) });
        Vocabulary.Save(Path.Combine(directory, VocabularyFile));
        AtomicFile.WriteAllBytes(Path.Combine(directory, ParametersFile), bytes);
    }

    /// <summary>
    /// Reads a UniLM written by <see cref="Save"/> onto <paramref name="device"/>, verifying its checksum; a model of
    /// another kind, a damaged file or one holding non-finite values is refused naming the file and the field.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">"not a valid model file: &lt;path&gt;: ...", including a model of another kind.</exception>
    public static TrainedUniLm Load(string directory, torch.Device device)
    {
        var path = Path.Combine(directory, ParametersFile);
        var vocabularyPath = Path.Combine(directory, VocabularyFile);
        foreach (var file in new[] { path, vocabularyPath })
            if (!File.Exists(file))
                throw new FileNotFoundException($"No title model at {directory}: {file} is missing. Train one with 'titles train --model unilm --out {directory}'.", file);
        var content = SafeTensors.Deserialize(File.ReadAllBytes(path), path);
        try
        {
            if (content.Checksum is null) throw Bad(path, $"{SafeTensors.ChecksumKey}: the metadata has no checksum; it cannot be verified. Train or save it again");
            if (!content.Metadata.TryGetValue(TrainedTitleModel.OptionsKey, out var json)) throw Bad(path, $"metadata '{TrainedTitleModel.OptionsKey}': missing, so it is not a title model");
            TitleModelOptions options;
            try
            {
                options = (JsonSerializer.Deserialize<TitleModelOptions>(json) ?? throw Bad(path, $"metadata '{TrainedTitleModel.OptionsKey}': null")).Validate();
            }
            catch (Exception error) when (error is JsonException or ArgumentException)
            {
                throw Bad(path, $"metadata '{TrainedTitleModel.OptionsKey}': {error.Message}");
            }
            if (options.Kind != TitleModelKinds.UniLm)
                throw Bad(path, $"metadata '{TrainedTitleModel.OptionsKey}': the model is of kind '{options.Kind}', not '{TitleModelKinds.UniLm}' (load it with TitleModelFolder.Load, which picks the kind)");
            foreach (var tensor in content.Tensors)
                if (tensor.Value.is_floating_point() && !tensor.Value.isfinite().all().item<bool>())
                    throw Bad(path, $"'{tensor.Name}': holds NaN or infinite values (the training diverged or the file was edited)");
            var vocabulary = CharacterVocabulary.Load(vocabularyPath);
            using var generator = new torch.Generator(0, device);
            UniLmParams template;
            try
            {
                template = UniLmModel.Init(generator, vocabulary.Size, options, device);
            }
            catch (ArgumentException error)
            {
                throw Bad(path, $"tensors: do not fit the vocabulary {vocabularyPath} ({vocabulary.Size} ids): {error.Message}");
            }
            try
            {
                var restored = TreeFile.Restore(template, content.Tensors);
                var parameters = Tree.Map(restored, tensor => tensor.detach());
                Tree.Dispose(restored);
                return new TrainedUniLm(parameters, vocabulary, options);
            }
            catch (InvalidDataException error)
            {
                throw Bad(path, $"tensors: do not fit the vocabulary {vocabularyPath} ({vocabulary.Size} ids) and the options: {error.Message}");
            }
            finally
            {
                Tree.Dispose(template);
            }
        }
        finally
        {
            foreach (var tensor in content.Tensors) tensor.Value.Dispose();
        }
    }

    static InvalidDataException Bad(string path, string problem) => new($"not a valid model file: {path}: {problem}.");
}
