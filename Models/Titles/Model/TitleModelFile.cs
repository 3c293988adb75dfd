using System.Text.Json;
using Functional.Core;
using Functional.Models.Text;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>
/// The two files of a title model's folder, the same for every kind (<see cref="TitleModelKinds"/>):
/// <c>model.safetensors</c> (parameters by tree path, the options with their kind, the vocabulary's SHA-256 and the
/// file's own SHA-256 as metadata) and <c>vocabulary.txt</c>. Each kind's <c>Save</c> and <c>Load</c> delegate here and
/// give only their parameter record's constructor, so every kind gets the same checks.
/// </summary>
static class TitleModelFile
{
    /// <summary>The parameters' file name in a model folder.</summary>
    internal const string ParametersFile = "model.safetensors";

    /// <summary>The vocabulary's file name in a model folder.</summary>
    internal const string VocabularyFile = "vocabulary.txt";

    /// <summary>The metadata key of the options (with the model's kind).</summary>
    internal const string OptionsKey = "title-model-options";

    /// <summary>The metadata key of the vocabulary's SHA-256, which binds vocabulary.txt to the model.</summary>
    const string VocabularyKey = "vocabulary-sha256";

    /// <summary>
    /// Writes <c>vocabulary.txt</c> and <c>model.safetensors</c> into <paramref name="directory"/> (created if missing),
    /// each atomically (<see cref="AtomicFile"/>): a crash leaves the previous model or the new one, never a torn file.
    /// </summary>
    public static void Save<TParams>(string directory, TParams parameters, CharacterVocabulary vocabulary, TitleModelOptions options)
    {
        Directory.CreateDirectory(directory);
        var bytes = SafeTensors.Serialize(TreeFile.Tensors(parameters), new Dictionary<string, string>
        {
            [OptionsKey] = JsonSerializer.Serialize(options),
            [VocabularyKey] = vocabulary.Sha256,
        });
        vocabulary.Save(Path.Combine(directory, VocabularyFile));
        AtomicFile.WriteAllBytes(Path.Combine(directory, ParametersFile), bytes);
    }

    /// <summary>
    /// Reads a model of <paramref name="kind"/> written by <see cref="Save"/> onto <paramref name="device"/>, verifying
    /// the checksum it carries: a damaged file, a malformed header or metadata field, a model of another kind, a tensor
    /// holding NaN or an infinity, or a <c>vocabulary.txt</c> other than the one the model was saved with is refused
    /// naming the file and the field. A model saved before models recorded their vocabulary's checksum loads as before.
    /// </summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="device">Where the parameters go.</param>
    /// <param name="kind">The kind the caller reads (<see cref="TitleModelKinds"/>).</param>
    /// <param name="trainCommand">The command that makes such a model, for the message when a file is missing.</param>
    /// <param name="init">A fresh parameter record for the vocabulary size and options: the template the file fills.</param>
    /// <param name="rename">Maps a stored tensor name to today's path (the identity where no older names exist).</param>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to make one.</exception>
    /// <exception cref="InvalidDataException">"not a valid model file: &lt;path&gt;: &lt;field&gt; ...".</exception>
    public static (TParams Parameters, CharacterVocabulary Vocabulary, TitleModelOptions Options) Load<TParams>(
        string directory, torch.Device device, string kind, string trainCommand,
        Func<torch.Generator, int, TitleModelOptions, TParams> init, Func<string, string> rename)
    {
        var path = Path.Combine(directory, ParametersFile);
        var vocabularyPath = Path.Combine(directory, VocabularyFile);
        foreach (var file in new[] { path, vocabularyPath })
            if (!File.Exists(file))
                throw new FileNotFoundException($"No title model at {directory}: {file} is missing. Train one with '{trainCommand} --out {directory}'.", file);
        var content = SafeTensors.Deserialize(File.ReadAllBytes(path), path);
        try
        {
            if (content.Checksum is null)
                throw Bad(path, $"{SafeTensors.ChecksumKey}: the metadata has no checksum (a model written before models carried one, or a damaged key); it cannot be verified. Train or save it again");
            var options = ReadOptions(content.Metadata, path);
            if (options.Kind != kind)
                throw Bad(path, $"metadata '{OptionsKey}': the model is of kind '{options.Kind}', not '{kind}' (load it with TitleModelFolder.Load, which picks the kind)");
            if (FiniteValues.FirstNonFinite(content.Tensors) is { } notFinite)
                throw Bad(path, $"'{notFinite.Name}': holds NaN or infinite values: {notFinite.Problem} (the training diverged or the file was edited)");
            var vocabulary = CharacterVocabulary.Load(vocabularyPath);
            if (content.Metadata.TryGetValue(VocabularyKey, out var bound) && bound != vocabulary.Sha256)
                throw Bad(path, $"metadata '{VocabularyKey}': the model was trained with a vocabulary of SHA-256 {bound}, but {vocabularyPath} ({vocabulary.Size} ids) "
                                + $"has SHA-256 {vocabulary.Sha256}: that vocabulary file was edited, damaged or belongs to another model. Put back the vocabulary.txt saved with this model");
            using var generator = new torch.Generator(0, device);
            TParams template;
            try
            {
                template = init(generator, vocabulary.Size, options);
            }
            catch (ArgumentException error)
            {
                throw Bad(path, $"tensors: do not fit the vocabulary {vocabularyPath} ({vocabulary.Size} ids): {error.Message}");
            }
            try
            {
                var restored = TreeFile.Restore(template, content.Tensors.Select(t => t with { Name = rename(t.Name) }).ToArray());
                var parameters = Tree.Map(restored, tensor => tensor.detach());
                Tree.Dispose(restored);
                return (parameters, vocabulary, options);
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
