using Functional.Inference.Titles;
using Functional.Models.Titles;
using Functional.Training;

namespace Functional.Onnx;

/// <summary>
/// Writes a trained LSTM title model as a self-contained folder that <see cref="OnnxTitleModel"/> decodes on ONNX
/// Runtime alone: <c>encoder.onnx</c> and <c>decoder-step.onnx</c> (<see cref="TitleModelOnnx"/>), <c>vocabulary.txt</c>
/// and <c>title-model.json</c> (<see cref="TitleModelManifest"/>: the vocabulary's SHA-256 as the model file bound it,
/// the article limit, the decoder's shape, and <see cref="BeamSearchOptions.Default"/> with its limits).
/// </summary>
public static class TitleModelExport
{
    /// <summary>The manifest of <paramref name="model"/>'s export.</summary>
    public static TitleModelManifest Manifest(TrainedTitleModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var d = BeamSearchOptions.Default;
        return new TitleModelManifest(
            TitleModelManifest.CurrentFormat, TitleModelManifest.LstmKind, model.Vocabulary.Sha256, model.Vocabulary.Size, model.Options.MaxArticleLength,
            model.Parameters.Decoder.Layers.Length, (int)model.Parameters.Decoder.Layers[0].Forward.HiddenWeight.shape[1],
            new TitleDecodingOptions(d.Width, d.MinLength, d.MaxLength, d.NormalizeByLength, d.ArticleCharactersOnly, d.NoRepeatNgram),
            BeamSearchOptions.WidthLimit, BeamSearchOptions.MaxLengthLimit, BatchedGeneration.MaxBeamsPerStep, BatchedGeneration.DefaultBatch);
    }

    /// <summary>
    /// Exports <paramref name="model"/> into <paramref name="directory"/> (created if missing), each file atomically;
    /// returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(TrainedTitleModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        var encoder = Path.Combine(directory, TitleModelManifest.EncoderFile);
        var step = Path.Combine(directory, TitleModelManifest.DecoderStepFile);
        var vocabulary = Path.Combine(directory, TitleModelManifest.VocabularyFile);
        var manifest = Path.Combine(directory, TitleModelManifest.FileName);
        AtomicFile.WriteAllBytes(encoder, TitleModelOnnx.Encoder(model.Parameters).ToModel());
        AtomicFile.WriteAllBytes(step, TitleModelOnnx.DecoderStep(model.Parameters).ToModel());
        model.Vocabulary.Save(vocabulary);
        AtomicFile.WriteAllText(manifest, Manifest(model).ToJson());
        return [encoder, step, vocabulary, manifest];
    }
}
