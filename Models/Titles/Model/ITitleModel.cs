using Functional.Models.Text;

namespace Functional.Models.Titles;

/// <summary>
/// A trained title model of any kind (<see cref="TitleModelKinds"/>) as decoding, evaluation and generation read it:
/// its vocabulary, its shape and limits, and its searches. <see cref="TitleModelFolder.Load"/> loads the right kind.
/// </summary>
public interface ITitleModel
{
    /// <summary>The character vocabulary the model was trained with.</summary>
    CharacterVocabulary Vocabulary { get; }

    /// <summary>The shape and limits the model was made with (<see cref="TitleModelOptions.Kind"/> names its kind).</summary>
    TitleModelOptions Options { get; }

    /// <summary>Beam search over several articles (ids, already cut to the model's maximum; may be empty), as <see cref="BeamSearch.DecodeMany"/>.</summary>
    DecodedTitle[] DecodeMany(IReadOnlyList<int[]> articles, BeamSearchOptions options);

    /// <summary>Greedy decoding of several articles, as <see cref="GreedyDecoding.Decode"/>.</summary>
    DecodedTitle[] DecodeGreedy(IReadOnlyList<int[]> articles, GreedyOptions options);

    /// <summary>Writes the model into <paramref name="directory"/> so that <see cref="TitleModelFolder.Load"/> reads it back.</summary>
    void Save(string directory);
}

/// <summary>The kinds of title model, as <see cref="TitleModelOptions.Kind"/> records them.</summary>
public static class TitleModelKinds
{
    /// <summary>The LSTM seq2seq model with copying (<see cref="TrainedTitleModel"/>); the default.</summary>
    public const string Lstm = "lstm";

    /// <summary>The UniLM transformer over "article [SEP] title" with copying (<see cref="UniLm.TrainedUniLm"/>).</summary>
    public const string UniLm = "unilm";

    /// <summary>Every kind.</summary>
    public static IReadOnlyList<string> All { get; } = [Lstm, UniLm];
}
