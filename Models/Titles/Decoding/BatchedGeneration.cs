namespace Functional.Models.Titles;

/// <summary>The title of one article of a stream, or why it has none.</summary>
/// <param name="Index">The article's 0-based position in the input.</param>
/// <param name="Title">The title, or null when the article could not be titled.</param>
/// <param name="Problem">Why there is no title (an empty article), or null.</param>
public sealed record StreamedTitle(int Index, GeneratedTitle? Title, string? Problem);

/// <summary>
/// Titles for many articles: the beams of a batch of articles step together (as <see cref="TitleEvaluation"/> does), and
/// each batch's titles are handed out as soon as it is done, in input order.
/// </summary>
public static class BatchedGeneration
{
    /// <summary>Articles decoded together by default: 32 (with beam 4, 128 beams a step at first).</summary>
    public const int DefaultBatch = 32;

    /// <summary>
    /// The most beams that step together: 2048 (articles per batch times the beam width; the default is 32 x 4 = 128).
    /// Each beam carries its decoder state, attention over its article and a vocabulary-wide row of scores, so this
    /// bounds a step's memory to a few hundred MB whatever the batch and width asked for.
    /// </summary>
    public const int MaxBeamsPerStep = 2048;

    /// <summary>
    /// The longest line an article file may hold: 1 MiB of UTF-8 (about 350,000 Chinese characters, a short book; a news
    /// article is a few KB). The model reads only its first characters; the cap keeps a line, and its batch, bounded.
    /// </summary>
    public const int MaxArticleBytes = 1 << 20;

    /// <summary>
    /// The title of each of <paramref name="texts"/>, in input order, lazily: a batch of <paramref name="articlesPerBatch"/>
    /// articles is read, decoded as one beam search (<see cref="BeamSearch.DecodeMany"/>) and yielded before the next is
    /// read. Each title is the one <see cref="TitleGenerator.Generate"/> gives for that text alone (same checks, same
    /// truncation); an empty or white-space text yields a <see cref="StreamedTitle"/> with a problem instead of stopping
    /// the stream. <paramref name="progress"/> (optional) hears the number of articles done after each batch.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch is below 1, its beams (batch x width) above <see cref="MaxBeamsPerStep"/>, or the options are out of range.</exception>
    public static IEnumerable<StreamedTitle> Generate(ITitleModel model, IEnumerable<string> texts, BeamSearchOptions options, int articlesPerBatch, IProgress<int>? progress)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        options.Validate();
        if (articlesPerBatch < 1) throw new ArgumentOutOfRangeException(nameof(articlesPerBatch), articlesPerBatch, "At least one article per batch.");
        if ((long)articlesPerBatch * options.Width > MaxBeamsPerStep)
            throw new ArgumentOutOfRangeException(nameof(articlesPerBatch), articlesPerBatch, $"{articlesPerBatch} articles of {options.Width} beams are more than the {MaxBeamsPerStep} beams that may step together.");
        return Stream(model, texts, options, articlesPerBatch, progress);
    }

    static IEnumerable<StreamedTitle> Stream(ITitleModel model, IEnumerable<string> texts, BeamSearchOptions options, int articlesPerBatch, IProgress<int>? progress)
    {
        var done = 0;
        foreach (var batch in texts.Chunk(articlesPerBatch))
        {
            var encoded = batch.Select(text =>
            {
                // Only the ids the model reads are kept (and the article's length): a batch holds its texts, not their full encodings.
                try { return TitleGenerator.EncodeArticle(model, text) is var all ? (Ids: all.Take(model.Options.MaxArticleLength).ToArray(), Length: all.Length, Problem: (string?)null) : default; }
                catch (ArgumentException error) { return (Ids: Array.Empty<int>(), Length: 0, Problem: error.Message); }
            }).ToArray();
            var valid = encoded.Where(e => e.Problem is null).Select(e => e.Ids).ToArray();
            var decoded = valid.Length == 0 ? [] : model.DecodeMany(valid, options);
            var results = new StreamedTitle[batch.Length];
            for (int i = 0, next = 0; i < batch.Length; i++)
            {
                var (_, length, problem) = encoded[i];
                if (problem is not null)
                {
                    results[i] = new StreamedTitle(done + i, null, problem);
                    continue;
                }
                var title = decoded[next++];
                results[i] = new StreamedTitle(done + i, new GeneratedTitle(TitleGenerator.Text(model, title, batch[i]), title, length, Math.Min(length, model.Options.MaxArticleLength)), null);
            }
            done += batch.Length;
            progress?.Report(done);
            foreach (var result in results) yield return result;
        }
    }
}
