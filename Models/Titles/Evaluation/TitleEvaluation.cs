using System.Globalization;
using Functional.Models.Evaluation;
using Functional.Training;
namespace Functional.Models.Titles;

/// <summary>How titles are decoded for an evaluation.</summary>
/// <param name="BeamWidth">0 for batched greedy decoding, otherwise beam search of this width.</param>
/// <param name="MinLength">The end token is forbidden before this many characters.</param>
/// <param name="MaxLength">At most this many characters.</param>
/// <param name="NormalizeByLength">Beam search ranks finished titles by score per token.</param>
/// <param name="GreedyBatch">Articles decoded together by greedy decoding (by beam search: this many beams, so this divided by the width).</param>
public sealed record TitleEvaluationOptions(int BeamWidth, int MinLength, int MaxLength, bool NormalizeByLength, int GreedyBatch)
{
    /// <summary>Beam search uses copy-only decoding (<see cref="BeamSearchOptions.ArticleCharactersOnly"/>).</summary>
    public bool ArticleCharactersOnly { get; init; }

    /// <summary>No-repeat-n-gram blocking of greedy and beam decoding (<see cref="RepeatBlocking"/>; 0: off).</summary>
    public int NoRepeatNgram { get; init; }

    /// <summary>
    /// Greedy, titles of 1 to 40 characters, no character twice (<see cref="NoRepeatNgram"/> 1: on LCSTS part II it
    /// lifts greedy ROUGE-L far more than the 4.6% of title characters that are repeats costs), 100 articles at a time.
    /// </summary>
    public static TitleEvaluationOptions Default { get; } = new(0, 1, 40, false, 100) { NoRepeatNgram = 1 };
}

/// <summary>Character-level ROUGE of a model's titles on a set of pairs.</summary>
public static class TitleEvaluation
{
    /// <summary>
    /// The model's title for each pair's content (articles cut to the model's maximum), in order; an Unknown the title
    /// copied reads as the article's character (<see cref="TitleGenerator.Text"/>).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="pairs">The pairs whose contents are decoded.</param>
    /// <param name="options">How titles are decoded.</param>
    /// <param name="progress">Told the article count, then each decoded batch; null reports nothing.</param>
    public static IReadOnlyList<string> Titles(ITitleModel model, IReadOnlyList<TitlePair> pairs, TitleEvaluationOptions options, ITaskProgress? progress = null)
    {
        var articles = pairs.Select(p => model.Vocabulary.Encode(p.Content).Take(model.Options.MaxArticleLength).ToArray()).ToArray();
        progress?.Start(string.Create(CultureInfo.InvariantCulture, $"Decoding {articles.Length} titles ({(options.BeamWidth > 0 ? $"beam {options.BeamWidth}" : "greedy")})"), articles.Length);
        try
        {
            IEnumerable<DecodedTitle> Reported(int[][] chunk, Func<int[][], IEnumerable<DecodedTitle>> decode)
            {
                var decoded = decode(chunk).ToArray();
                progress?.Advance(chunk.Length);
                return decoded;
            }
            if (options.BeamWidth > 0)
            {
                var beam = new BeamSearchOptions(options.BeamWidth, options.MinLength, options.MaxLength, options.NormalizeByLength)
                    { ArticleCharactersOnly = options.ArticleCharactersOnly, NoRepeatNgram = options.NoRepeatNgram };
                return articles.Chunk(Math.Max(1, options.GreedyBatch / options.BeamWidth))
                    .SelectMany(chunk => Reported(chunk, c => model.DecodeMany(c, beam)))
                    .Select((decoded, i) => TitleGenerator.Text(model, decoded, pairs[i].Content)).ToArray();
            }
            var greedy = new GreedyOptions(options.MinLength, options.MaxLength) { NoRepeatNgram = options.NoRepeatNgram };
            return articles.Chunk(Math.Max(1, options.GreedyBatch))
                .SelectMany(chunk => Reported(chunk, c => model.DecodeGreedy(c, greedy)))
                .Select((decoded, i) => TitleGenerator.Text(model, decoded, pairs[i].Content)).ToArray();
        }
        finally
        {
            progress?.Finish();
        }
    }

    /// <summary>Mean character ROUGE-1, ROUGE-2 and ROUGE-L F1 of the model's titles against the pairs' titles.</summary>
    /// <param name="model">The model.</param>
    /// <param name="pairs">The pairs to score on.</param>
    /// <param name="options">How titles are decoded.</param>
    /// <param name="progress">Told how the decoding goes (<see cref="Titles"/>); null reports nothing.</param>
    public static RougeScores Score(ITitleModel model, IReadOnlyList<TitlePair> pairs, TitleEvaluationOptions options, ITaskProgress? progress = null) =>
        Rouge.Mean(Titles(model, pairs, options, progress).Zip(pairs, (candidate, pair) => (candidate, pair.Title)));

    /// <summary>The same scores for the lead baseline (the first <paramref name="lead"/> characters of each article).</summary>
    public static RougeScores Lead(IReadOnlyList<TitlePair> pairs, int lead) =>
        Rouge.Mean(pairs.Select(p => (LeadBaseline.Title(p.Content, lead), p.Title)));
}
