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
public sealed record TrainedTitleModel(TitleModelParams Parameters, CharacterVocabulary Vocabulary, TitleModelOptions Options) : ITitleModel
{
    const string ParametersFile = "model.safetensors";
    const string VocabularyFile = "vocabulary.txt";
    /// <summary>The metadata key of the options (with the model's kind) in a model file of any kind.</summary>
    internal const string OptionsKey = "title-model-options";
    const string VocabularyKey = "vocabulary-sha256";

    /// <inheritdoc/>
    public DecodedTitle[] DecodeMany(IReadOnlyList<int[]> articles, BeamSearchOptions options) => BeamSearch.DecodeMany(Parameters, articles, options);

    /// <inheritdoc/>
    public DecodedTitle[] DecodeGreedy(IReadOnlyList<int[]> articles, GreedyOptions options) => GreedyDecoding.Decode(Parameters, articles, options);

    /// <summary>
    /// Writes <c>vocabulary.txt</c> and <c>model.safetensors</c> (parameters by tree path, the options and the
    /// vocabulary's checksum (<see cref="CharacterVocabulary.Sha256"/>) as metadata, the file's SHA-256 in its metadata,
    /// so the model's checksum covers the vocabulary it was trained with) into <paramref name="directory"/> (created if missing), each atomically
    /// (<see cref="AtomicFile"/>): a crash leaves the previous model or the new one, never a torn file.
    /// </summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var bytes = SafeTensors.Serialize(TreeFile.Tensors(Parameters), new Dictionary<string, string>
        {
            [OptionsKey] = JsonSerializer.Serialize(Options),
            [VocabularyKey] = Vocabulary.Sha256,
        });
        Vocabulary.Save(Path.Combine(directory, VocabularyFile));
        AtomicFile.WriteAllBytes(Path.Combine(directory, ParametersFile), bytes);
    }

    /// <summary>
    /// Reads a model written by <see cref="Save"/> onto <paramref name="device"/>, verifying the checksum it carries: a
    /// damaged file (a flipped bit, a truncation), a malformed header or metadata field, a tensor holding NaN or an
    /// infinity, or a <c>vocabulary.txt</c> other than the one the model was saved with (edited, swapped lines, another
    /// model's) is refused naming the file and the field. A model saved before models recorded their vocabulary's checksum
    /// has no binding to check and loads as before. A file from before the recurrent weights were named as PyTorch's
    /// state dict loads too (<see cref="RecurrentPaths.FromLegacy"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to make one.</exception>
    /// <exception cref="InvalidDataException">
    /// "not a valid model file: &lt;path&gt;: &lt;field&gt; ...": the model file is damaged or malformed, has no checksum,
    /// holds non-finite values, or does not fit its vocabulary or options.
    /// </exception>
    public static TrainedTitleModel Load(string directory, torch.Device device)
    {
        var path = Path.Combine(directory, ParametersFile);
        var vocabularyPath = Path.Combine(directory, VocabularyFile);
        foreach (var file in new[] { path, vocabularyPath })
            if (!File.Exists(file))
                throw new FileNotFoundException($"No title model at {directory}: {file} is missing. Train one with 'titles train --out {directory}'.", file);
        var content = SafeTensors.Deserialize(File.ReadAllBytes(path), path);
        try
        {
            if (content.Checksum is null)
                throw Bad(path, $"{SafeTensors.ChecksumKey}: the metadata has no checksum (a model written before models carried one, or a damaged key); it cannot be verified. Train or save it again");
            var options = ReadOptions(content.Metadata, path);
            if (options.Kind != TitleModelKinds.Lstm)
                throw Bad(path, $"metadata '{OptionsKey}': the model is of kind '{options.Kind}', not '{TitleModelKinds.Lstm}' (load it with TitleModelFolder.Load, which picks the kind)");
            if (FiniteValues.FirstNonFinite(content.Tensors) is { } notFinite)
                throw Bad(path, $"'{notFinite.Name}': holds NaN or infinite values: {notFinite.Problem} (the training diverged or the file was edited)");
            var vocabulary = CharacterVocabulary.Load(vocabularyPath);
            if (content.Metadata.TryGetValue(VocabularyKey, out var bound) && bound != vocabulary.Sha256)
                throw Bad(path, $"metadata '{VocabularyKey}': the model was trained with a vocabulary of SHA-256 {bound}, but {vocabularyPath} ({vocabulary.Size} ids) "
                                + $"has SHA-256 {vocabulary.Sha256}: that vocabulary file was edited, damaged or belongs to another model. Put back the vocabulary.txt saved with this model");
            using var generator = new torch.Generator(0, device);
            TitleModelParams template;
            try
            {
                template = TitleModel.Init(generator, vocabulary.Size, options, device);
            }
            catch (ArgumentException error)
            {
                throw Bad(path, $"tensors: do not fit the vocabulary {vocabularyPath} ({vocabulary.Size} ids): {error.Message}");
            }
            try
            {
                // Files written before the recurrent weights had PyTorch's names (encoder/layers/0/forward/inputWeight) load under today's (encoder/weight_ih_l0).
                var restored = TreeFile.Restore(template, content.Tensors.Select(t => t with { Name = RecurrentPaths.FromLegacy(t.Name) }).ToArray());
                var parameters = Tree.Map(restored, tensor => tensor.detach());
                Tree.Dispose(restored);
                return new TrainedTitleModel(parameters, vocabulary, options);
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

    static TitleModelOptions ReadOptions(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(OptionsKey, out var json)) throw Bad(path, $"metadata '{OptionsKey}': missing, so it is not a title model");
        try
        {
            return (JsonSerializer.Deserialize<TitleModelOptions>(json) ?? throw Bad(path, $"metadata '{OptionsKey}': null")).Validate();
        }
        catch (JsonException error)
        {
            throw Bad(path, $"metadata '{OptionsKey}': not valid JSON ({error.Message})");
        }
        catch (ArgumentException error)
        {
            throw Bad(path, $"metadata '{OptionsKey}': {error.Message}");
        }
    }

    static InvalidDataException Bad(string path, string problem) => new($"not a valid model file: {path}: {problem}.");
}
