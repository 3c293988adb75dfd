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
    /// <summary>The metadata key of the options (with the model's kind) in a model file of any kind.</summary>
    internal const string OptionsKey = TitleModelFile.OptionsKey;

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
    public void Save(string directory) => TitleModelFile.Save(directory, Parameters, Vocabulary, Options);

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
        // Files written before the recurrent weights had PyTorch's names (encoder/layers/0/forward/inputWeight) load under today's (encoder/weight_ih_l0).
        var (parameters, vocabulary, options) = TitleModelFile.Load(directory, device, TitleModelKinds.Lstm, "titles train",
            (generator, size, shape) => TitleModel.Init(generator, size, shape, device), RecurrentPaths.FromLegacy);
        return new TrainedTitleModel(parameters, vocabulary, options);
    }
}
