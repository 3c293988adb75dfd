using Functional.Models.Text;

namespace Functional.Models.Titles.Pretraining;

/// <summary>
/// The pretraining task of <see cref="UniLmPretraining"/>: span infilling on an article alone. A span of title length
/// (8 to 24 characters, at most half the article) is drawn from the article and becomes the pseudo-title; with
/// probability one half it is cut out of the article and replaced by one <see cref="CharacterVocabulary.Unknown"/> id
/// (the model must write it from the context around the gap), otherwise the article is left whole (the model must find
/// and copy it). The pair then trains the title model's own forward and loss unchanged: the prefix-LM mask, the title
/// segment, the copy attention and gate all learn.
/// </summary>
public static class SpanInfilling
{
    /// <summary>The shortest span drawn (shorter articles give at most half their length).</summary>
    public const int MinSpan = 8;

    /// <summary>The longest span drawn (LCSTS titles are about 18 characters).</summary>
    public const int MaxSpan = 24;

    /// <summary>
    /// The pseudo pair of <paramref name="article"/> (ids, already cut to the model's article length) drawn for
    /// <paramref name="seed"/>, <paramref name="epoch"/> and the article's <paramref name="index"/>: the same three give
    /// the same pair on every machine and run (so a resumed pretraining sees the same data), and each epoch draws anew.
    /// An article of fewer than 2 characters gives itself as both sides. Pure.
    /// </summary>
    public static EncodedTitlePair Pair(int[] article, int seed, int epoch, int index)
    {
        ArgumentNullException.ThrowIfNull(article);
        if (article.Length < 2) return new EncodedTitlePair(article, article);
        var random = new Random(unchecked(seed * 1_000_003 + epoch * 65_537 + index));
        var longest = Math.Min(MaxSpan, article.Length / 2);
        var shortest = Math.Min(MinSpan, longest);
        var length = random.Next(shortest, longest + 1);
        var start = random.Next(0, article.Length - length + 1);
        var span = article[start..(start + length)];
        var cut = random.Next(2) == 0;
        var context = cut ? [.. article[..start], CharacterVocabulary.Unknown, .. article[(start + length)..]] : article;
        return new EncodedTitlePair(context, span);
    }
}
