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
    /// <summary>Beam search on the KV cache (<see cref="UniLmDecoding.DecodeMany"/>).</summary>
    public DecodedTitle[] DecodeMany(IReadOnlyList<int[]> articles, BeamSearchOptions options) => UniLmDecoding.DecodeMany(Parameters, articles, options);

    /// <summary>Greedy decoding: beam search of width 1, which is greedy decoding exactly.</summary>
    public DecodedTitle[] DecodeGreedy(IReadOnlyList<int[]> articles, GreedyOptions options) =>
        DecodeMany(articles, new BeamSearchOptions(1, options.MinLength, options.MaxLength, false) { NoRepeatNgram = options.NoRepeatNgram });

    /// <summary>
    /// Writes <c>vocabulary.txt</c> and <c>model.safetensors</c> (parameters by tree path, the options with their kind and
    /// the vocabulary's SHA-256 as metadata, the file's own SHA-256) into <paramref name="directory"/>, each atomically
    /// (the same file as every kind of title model writes).
    /// </summary>
    public void Save(string directory) => TitleModelFile.Save(directory, Parameters, Vocabulary, Options);

    /// <summary>
    /// Reads a UniLM written by <see cref="Save"/> onto <paramref name="device"/>, verifying its checksum; a model of
    /// another kind, a damaged file or one holding non-finite values is refused naming the file and the field.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">"not a valid model file: &lt;path&gt;: ...", including a model of another kind.</exception>
    public static TrainedUniLm Load(string directory, torch.Device device)
    {
        var (parameters, vocabulary, options) = TitleModelFile.Load(directory, device, TitleModelKinds.UniLm, "titles train --model unilm",
            (generator, size, shape) => UniLmModel.Init(generator, size, shape, device), name => name);
        return new TrainedUniLm(parameters, vocabulary, options);
    }
}
