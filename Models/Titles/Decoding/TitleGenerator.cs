using Functional.Core;
using Functional.Models.Text;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>A title made for a text.</summary>
/// <param name="Title">The title text (<see cref="TitleGenerator.Text"/>: an unknown character copied from the article reads as the article's character, any other as '□').</param>
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
    public static GeneratedTitle Generate(ITitleModel model, string text, BeamSearchOptions options)
    {
        var ids = EncodeArticle(model, text);
        var decoded = model.DecodeMany([ids.Take(model.Options.MaxArticleLength).ToArray()], options)[0];
        return new GeneratedTitle(Text(model, decoded, text), decoded, ids.Length, Math.Min(ids.Length, model.Options.MaxArticleLength));
    }

    /// <summary>
    /// The text of <paramref name="title"/>, decoded by <paramref name="model"/> from <paramref name="article"/>: each
    /// Unknown it copied reads as the article's character at its source (<see cref="DecodedTitle.UnknownSources"/>,
    /// positions in <see cref="ReadCharacters"/>), any other Unknown as '□'.
    /// </summary>
    public static string Text(ITitleModel model, DecodedTitle title, string article) =>
        model.Vocabulary.Decode(title.Ids, title.UnknownSources, ReadCharacters(model, article));

    /// <summary>
    /// The characters of <paramref name="article"/> the model reads, aligned with its ids: <see cref="Characters.Of"/>
    /// (white space dropped), cut to <see cref="TitleModelOptions.MaxArticleLength"/> as the ids are.
    /// </summary>
    public static string[] ReadCharacters(ITitleModel model, string article) =>
        Characters.Of(article).Take(model.Options.MaxArticleLength).ToArray();

    /// <summary>The article's ids under the model's vocabulary, uncut.</summary>
    /// <exception cref="ArgumentException">The text is null, empty or white space only.</exception>
    public static int[] EncodeArticle(ITitleModel model, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = model.Vocabulary.Encode(text);
        return ids.Length > 0 ? ids : throw new ArgumentException("The article is empty (no characters besides white space): there is nothing to title.", nameof(text));
    }
}
