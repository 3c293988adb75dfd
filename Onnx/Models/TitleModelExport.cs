using Functional.Inference.Titles;
using Functional.Models.Titles;
using Functional.Models.Titles.UniLm;
using Functional.Training;

namespace Functional.Onnx;

/// <summary>
/// Writes a trained title model (LSTM or UniLM) as a self-contained folder that <see cref="OnnxTitleModel"/> decodes on
/// ONNX Runtime alone: <c>encoder.onnx</c> and <c>decoder-step.onnx</c> (<see cref="TitleModelOnnx"/> for an LSTM, the
/// prefix and step graphs of <see cref="UniLmOnnx"/> for a UniLM), <c>vocabulary.txt</c>
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

    /// <summary>The manifest of the UniLM <paramref name="model"/>'s export (kind <see cref="TitleModelManifest.UniLmKind"/>: blocks, width, heads).</summary>
    public static TitleModelManifest Manifest(TrainedUniLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var d = BeamSearchOptions.Default;
        var width = (int)model.Parameters.Embedding.Weight.shape[1];
        return new TitleModelManifest(
            TitleModelManifest.CurrentFormat, TitleModelManifest.UniLmKind, model.Vocabulary.Sha256, model.Vocabulary.Size, model.Options.MaxArticleLength, 0, 0,
            new TitleDecodingOptions(d.Width, d.MinLength, d.MaxLength, d.NormalizeByLength, d.ArticleCharactersOnly, d.NoRepeatNgram),
            BeamSearchOptions.WidthLimit, BeamSearchOptions.MaxLengthLimit, BatchedGeneration.MaxBeamsPerStep, BatchedGeneration.DefaultBatch)
        {
            Blocks = model.Parameters.Stack.Layers.Length, Width = width, Heads = model.Parameters.Stack.Layers[0].SelfAttn.Heads,
        };
    }

    /// <summary>Exports <paramref name="model"/> of either kind (<see cref="TrainedTitleModel"/> or <see cref="TrainedUniLm"/>); returns the paths written.</summary>
    /// <exception cref="ArgumentException">The model is of another kind.</exception>
    public static IReadOnlyList<string> Write(ITitleModel model, string directory) => model switch
    {
        TrainedTitleModel lstm => Write(lstm, directory),
        TrainedUniLm unilm => Write(unilm, directory),
        null => throw new ArgumentNullException(nameof(model)),
        _ => throw new ArgumentException($"A {model.GetType().Name} does not export to ONNX: only the LSTM and UniLM title models do.", nameof(model)),
    };

    /// <summary>
    /// Exports the UniLM <paramref name="model"/> into <paramref name="directory"/> (created if missing), each file
    /// atomically: the prefix graph as <c>encoder.onnx</c>, the step graph as <c>decoder-step.onnx</c>; returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(TrainedUniLm model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        return WriteFolder(directory, UniLmOnnx.Prefix(model.Parameters), UniLmOnnx.Step(model.Parameters), model.Vocabulary.Save, Manifest(model));
    }

    /// <summary>
    /// Exports <paramref name="model"/> into <paramref name="directory"/> (created if missing), each file atomically;
    /// returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(TrainedTitleModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        return WriteFolder(directory, TitleModelOnnx.Encoder(model.Parameters), TitleModelOnnx.DecoderStep(model.Parameters), model.Vocabulary.Save, Manifest(model));
    }

    static IReadOnlyList<string> WriteFolder(string directory, OnnxGraph first, OnnxGraph next, Action<string> saveVocabulary, TitleModelManifest contents)
    {
        Directory.CreateDirectory(directory);
        var encoder = Path.Combine(directory, TitleModelManifest.EncoderFile);
        var step = Path.Combine(directory, TitleModelManifest.DecoderStepFile);
        var vocabulary = Path.Combine(directory, TitleModelManifest.VocabularyFile);
        var manifest = Path.Combine(directory, TitleModelManifest.FileName);
        AtomicFile.WriteAllBytes(encoder, first.ToModel());
        AtomicFile.WriteAllBytes(step, next.ToModel());
        saveVocabulary(vocabulary);
        AtomicFile.WriteAllText(manifest, contents.ToJson());
        return [encoder, step, vocabulary, manifest];
    }
}
