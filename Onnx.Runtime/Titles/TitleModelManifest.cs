using System.Text.Json;

namespace Functional.Inference.Titles;

/// <summary>
/// What an exported title model's folder says about itself (<c>title-model.json</c>, written by the export): the model's
/// kind and shape, the vocabulary it binds, its article limit, and the decoding defaults and limits of the training side,
/// so decoding without libtorch follows the same rules.
/// </summary>
/// <param name="Format">The folder's format version (<see cref="CurrentFormat"/>).</param>
/// <param name="Kind">The model's kind: <see cref="LstmKind"/> or <see cref="UniLmKind"/>.</param>
/// <param name="VocabularySha256">The SHA-256 of <c>vocabulary.txt</c>'s content (<see cref="TitleVocabulary.Sha256"/>), as the model file bound it at training.</param>
/// <param name="VocabularySize">Ids of the vocabulary, reserved ones included.</param>
/// <param name="MaxArticleLength">Articles are cut to this many characters.</param>
/// <param name="DecoderLayers">Layers of the decoder LSTM (the step's state is [layers, rows, hidden]); 0 for a UniLM.</param>
/// <param name="DecoderHidden">Units of the decoder LSTM; 0 for a UniLM.</param>
/// <param name="Defaults">The decoding defaults (<c>BeamSearchOptions.Default</c> at export).</param>
/// <param name="WidthLimit">The widest beam allowed.</param>
/// <param name="MaxLengthLimit">The longest title allowed.</param>
/// <param name="MaxBeamsPerStep">The most beams (articles × width) stepped together.</param>
/// <param name="DefaultBatch">Articles decoded together by default.</param>
public sealed record TitleModelManifest(
    int Format, string Kind, string VocabularySha256, int VocabularySize, int MaxArticleLength, int DecoderLayers, int DecoderHidden,
    TitleDecodingOptions Defaults, int WidthLimit, int MaxLengthLimit, int MaxBeamsPerStep, int DefaultBatch)
{
    /// <summary>
    /// The format version this library reads and the export writes. A UniLM's manifest is still format 1: a reader from
    /// before the UniLM export refuses its kind naming the file, so it cannot misread it.
    /// </summary>
    public const int CurrentFormat = 1;

    /// <summary>The manifest's file name in an exported folder.</summary>
    public const string FileName = "title-model.json";

    /// <summary>The encoder graph's file name.</summary>
    public const string EncoderFile = "encoder.onnx";

    /// <summary>The one-step decoder graph's file name.</summary>
    public const string DecoderStepFile = "decoder-step.onnx";

    /// <summary>The vocabulary's file name.</summary>
    public const string VocabularyFile = "vocabulary.txt";

    /// <summary>The LSTM seq2seq model with copying: <see cref="DecoderLayers"/> and <see cref="DecoderHidden"/> give its step's state.</summary>
    public const string LstmKind = "lstm";

    /// <summary>
    /// The UniLM transformer with copying (<c>titles train --model unilm</c>): <see cref="Blocks"/>, <see cref="Width"/> and
    /// <see cref="Heads"/> give its cache; its graphs are named by <see cref="UniLmGraphNames"/>.
    /// </summary>
    public const string UniLmKind = "unilm";

    /// <summary>A UniLM's transformer blocks (one cache of keys and values each); 0 for an LSTM (and in an LSTM manifest written before the UniLM export, which lacks the field).</summary>
    public int Blocks { get; init; }

    /// <summary>A UniLM's model width (the article memory's features); 0 for an LSTM.</summary>
    public int Width { get; init; }

    /// <summary>A UniLM's attention heads (each of <see cref="Width"/> / <see cref="Heads"/> features); 0 for an LSTM.</summary>
    public int Heads { get; init; }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The manifest as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads the manifest at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">It is not a manifest of this format, or a field is out of range: the message names the file and the field.</exception>
    public static TitleModelManifest Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No exported title model manifest at '{path}'.", path);
        TitleModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<TitleModelManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{path}: not a title model manifest ({error.Message}).", error);
        }
        if (manifest is null) throw new InvalidDataException($"{path}: not a title model manifest (null).");
        return manifest.Check(path);
    }

    TitleModelManifest Check(string path)
    {
        InvalidDataException Bad(string field, object? value, string expected) => new($"{path}: '{field}' must be {expected}, got {value ?? "nothing"}.");
        if (Format != CurrentFormat) throw Bad(nameof(Format), Format, $"{CurrentFormat} (this library's format; export the model again)");
        if (Kind is not (LstmKind or UniLmKind)) throw Bad(nameof(Kind), Kind, $"'{LstmKind}' or '{UniLmKind}' (the title models that export)");
        if (VocabularySha256 is not { Length: 64 }) throw Bad(nameof(VocabularySha256), VocabularySha256, "a SHA-256 of 64 hexadecimal digits");
        if (VocabularySize <= 4) throw Bad(nameof(VocabularySize), VocabularySize, "above 4 (the reserved ids)");
        if (MaxArticleLength < 1) throw Bad(nameof(MaxArticleLength), MaxArticleLength, "at least 1");
        if (Kind == LstmKind && DecoderLayers < 1) throw Bad(nameof(DecoderLayers), DecoderLayers, "at least 1");
        if (Kind == LstmKind && DecoderHidden < 1) throw Bad(nameof(DecoderHidden), DecoderHidden, "at least 1");
        if (Kind == UniLmKind && Blocks < 1) throw Bad(nameof(Blocks), Blocks, "at least 1");
        if (Kind == UniLmKind && Heads < 1) throw Bad(nameof(Heads), Heads, "at least 1");
        if (Kind == UniLmKind && (Width < 2 || Width % Heads != 0 || Width / Heads % 2 != 0))
            throw Bad(nameof(Width), Width, $"a multiple of {Heads} heads of an even width");
        if (WidthLimit < 1 || MaxLengthLimit < 1 || MaxBeamsPerStep < WidthLimit || DefaultBatch < 1)
            throw Bad("limits", $"{WidthLimit}, {MaxLengthLimit}, {MaxBeamsPerStep}, {DefaultBatch}", "positive (and MaxBeamsPerStep at least WidthLimit)");
        if (Defaults is null) throw Bad(nameof(Defaults), null, "the decoding defaults");
        try { Defaults.Validate(this); }
        catch (ArgumentOutOfRangeException error) { throw Bad(nameof(Defaults), Defaults, $"valid decoding options ({error.Message})"); }
        return this;
    }
}
