using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>A title made for a text.</summary>
/// <param name="Title">The title text (unknown characters read as '□').</param>
/// <param name="Decoded">The ids and score behind it.</param>
/// <param name="ArticleCharacters">Characters in the text (white space dropped).</param>
/// <param name="UsedCharacters">Characters the model read: at most <see cref="TitleModelOptions.MaxArticleLength"/>; fewer than the article's means it was cut.</param>
public sealed record GeneratedTitle(string Title, DecodedTitle Decoded, int ArticleCharacters, int UsedCharacters);

/// <summary>From text to title with a trained model: the checks and truncation around <see cref="BeamSearch"/>.</summary>
public static class TitleGenerator
{
    /// <summary>
    /// The beam-search title of <paramref name="text"/>. Characters outside the vocabulary read as unknown (a text of
    /// only unknown characters still gets a title); a text longer than the model's maximum is cut to its first
    /// <see cref="TitleModelOptions.MaxArticleLength"/> characters (see <see cref="GeneratedTitle.UsedCharacters"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty or white space only.</exception>
    public static GeneratedTitle Generate(TrainedTitleModel model, string text, BeamSearchOptions options)
    {
        var ids = EncodeArticle(model, text);
        var decoded = BeamSearch.Decode(model.Parameters, ids.Take(model.Options.MaxArticleLength).ToArray(), options);
        return new GeneratedTitle(model.Vocabulary.Decode(decoded.Ids), decoded, ids.Length, Math.Min(ids.Length, model.Options.MaxArticleLength));
    }

    /// <summary>The article's ids under the model's vocabulary, uncut.</summary>
    /// <exception cref="ArgumentException">The text is null, empty or white space only.</exception>
    public static int[] EncodeArticle(TrainedTitleModel model, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = model.Vocabulary.Encode(text);
        return ids.Length > 0 ? ids : throw new ArgumentException("The article is empty (no characters besides white space): there is nothing to title.", nameof(text));
    }
}
