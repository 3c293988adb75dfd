using Functional.Core;
using Functional.Models.Text;
using Functional.Models.Titles.UniLm;
using TorchSharp;

namespace Functional.Models.Titles.Pretraining;

/// <summary>
/// The start of <c>titles train --model unilm --init FOLDER</c>: the parameters of a pretrained UniLM
/// (<see cref="UniLmPretraining"/>, or any UniLM title model folder), loaded bit for bit, after checking that they fit
/// the title model being trained: the same vocabulary (by SHA-256) and every tensor of the same shape at the same path.
/// </summary>
public static class PretrainedStart
{
    /// <summary>
    /// The parameters in <paramref name="folder"/> on <paramref name="device"/> (the caller owns them), verified by the
    /// model file's checksum and bound to <paramref name="vocabulary"/> and <paramref name="options"/>.
    /// </summary>
    /// <param name="folder">The pretrained model's folder (the <c>--out</c> of <c>titles pretrain</c>).</param>
    /// <param name="vocabulary">The vocabulary the title model is trained with (built from the training corpus).</param>
    /// <param name="options">The title model's shape (read as a UniLM).</param>
    /// <param name="device">Where the parameters go.</param>
    /// <exception cref="FileNotFoundException">The folder holds no model.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged or not a UniLM; its vocabulary differs from <paramref name="vocabulary"/> (both sizes and
    /// SHA-256 named); or a tensor's shape differs from the title model's (the file, the path and both shapes named).
    /// </exception>
    public static UniLmParams Load(string folder, CharacterVocabulary vocabulary, TitleModelOptions options, torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        var file = Path.Combine(folder, TitleModelFile.ParametersFile);
        var loaded = TrainedUniLm.Load(folder, device);
        if (loaded.Vocabulary.Sha256 != vocabulary.Sha256)
        {
            Tree.Dispose(loaded.Parameters);
            throw new InvalidDataException(
                $"--init {folder}: the pretrained model's vocabulary ({Path.Combine(folder, TitleModelFile.VocabularyFile)}: {loaded.Vocabulary.Size} ids, SHA-256 {loaded.Vocabulary.Sha256}) "
                + $"is not the one this run builds from its corpus ({vocabulary.Size} ids, SHA-256 {vocabulary.Sha256}); {loaded.Vocabulary.FirstDifference(vocabulary)}. "
                + "Pretrain and train with the same --data and --min-count.");
        }
        using var unused = new torch.Generator(0, device);
        var template = UniLmModel.Init(unused, vocabulary.Size, options with { Kind = TitleModelKinds.UniLm }, device);
        try
        {
            var expected = Tree.Flatten(template);
            var actual = Tree.Flatten(loaded.Parameters);
            foreach (var (want, have) in expected.Zip(actual))
                if (want.Path != have.Path || !want.Value.shape.SequenceEqual(have.Value.shape))
                    throw new InvalidDataException(
                        $"--init {folder}: {file}: '{have.Path}' has shape {Shapes.Describe(have.Value)}, but the title model being trained has '{want.Path}' of shape {Shapes.Describe(want.Value)}. "
                        + $"Give titles train the shape flags the model was pretrained with (--embedding {loaded.Options.EmbeddingSize} --decoder-layers {loaded.Options.DecoderLayers} --output-hidden {loaded.Options.OutputHidden}).");
            if (expected.Count != actual.Count)
                throw new InvalidDataException($"--init {folder}: {file} holds {actual.Count} tensors, the title model being trained has {expected.Count}.");
        }
        catch
        {
            Tree.Dispose(loaded.Parameters);
            throw;
        }
        finally
        {
            Tree.Dispose(template);
        }
        return loaded.Parameters;
    }
}
