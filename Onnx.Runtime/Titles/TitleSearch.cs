namespace Functional.Inference.Titles;

/// <summary>A decoded title.</summary>
/// <param name="Ids">The character ids, without start and end.</param>
/// <param name="UnknownSources">One per <see cref="TitleVocabulary.Unknown"/> in <paramref name="Ids"/>, in order: the article position it copies, or -1.</param>
/// <param name="Score">The sum of the log-probabilities of the chosen characters (and of the end, when it was chosen).</param>
/// <param name="Finished">Whether the title ended with the end token (false: cut at the maximum length).</param>
public sealed record DecodedTitle(int[] Ids, int[] UnknownSources, double Score, bool Finished);

/// <summary>
/// Beam search over the exported decoder step, rule for rule the training side's <c>BeamSearch</c> (and so, at width 1,
/// its greedy decoding): the live beams of all articles step as one batch; each step extends every live beam by every
/// allowed character and keeps the best <c>Width − finished</c> extensions, ties going to the lower (beam, character)
/// pair; an extension by the end token is finished. Allowed: a finite score, neither padding nor start, not the end
/// before <see cref="TitleDecodingOptions.MinLength"/>, a character of the article under
/// <see cref="TitleDecodingOptions.ArticleCharactersOnly"/>, and no repeated n-gram (<see cref="RepeatBlocking"/>).
/// Without normalisation an article stops as soon as no live beam can beat its best finished one. The result is the best
/// of the finished, stuck and live candidates by total score, or by score per token with normalisation.
/// </summary>
static class TitleSearch
{
    sealed record Beam(int[] Ids, int[] UnknownSources, double Score);

    readonly record struct Extension(int Parent, int Token, double Score);

    /// <summary>Per article, the ids a title may use: each real character of the article and the end token.</summary>
    public static HashSet<int>[] ArticleCharacters(IReadOnlyList<int[]> articles, int vocabulary) =>
        articles.Select(article => article.Where(id => id > TitleVocabulary.End && id < vocabulary).Append(TitleVocabulary.End).ToHashSet()).ToArray();

    /// <summary>The search of <paramref name="count"/> articles over <paramref name="stepper"/>; rows of each step are grouped by article, in article order.</summary>
    public static DecodedTitle[] Run(Func<long[], int[], int[], HostStep> stepper, int count, TitleDecodingOptions options, HashSet<int>[]? allowed)
    {
        var live = Enumerable.Range(0, count).Select(_ => new List<Beam> { new([], [], 0) }).ToArray();
        var finished = Enumerable.Range(0, count).Select(_ => new List<DecodedTitle>()).ToArray();
        var stuck = Enumerable.Range(0, count).Select(_ => new List<DecodedTitle>()).ToArray();
        var done = new bool[count];
        var parents = Enumerable.Range(0, count).Select(a => (long)a).ToArray();
        var tokens = Enumerable.Repeat(TitleVocabulary.Start, count).ToArray();
        var articleOfRow = Enumerable.Range(0, count).ToArray();
        for (var length = 0; length < options.MaxLength && parents.Length > 0; length++)
        {
            var (host, vocabulary, sources) = stepper(parents, tokens, articleOfRow);
            var nextParents = new List<long>();
            var nextTokens = new List<int>();
            var nextArticle = new List<int>();
            var row = 0;
            for (var a = 0; a < count; a++)
            {
                if (done[a]) continue;
                var beams = live[a];
                var keep = Math.Min(options.Width - finished[a].Count, beams.Count * vocabulary);
                var best = Best(host, row, beams, vocabulary, keep, length < options.MinLength, allowed?[a], options.NoRepeatNgram);
                var nextLive = new List<Beam>();
                foreach (var extension in best)
                {
                    var parent = beams[extension.Parent];
                    if (extension.Token == TitleVocabulary.End) finished[a].Add(new DecodedTitle(parent.Ids, parent.UnknownSources, extension.Score, true));
                    else
                    {
                        int[] unknownSources = extension.Token == TitleVocabulary.Unknown ? [.. parent.UnknownSources, (int)sources[row + extension.Parent]] : parent.UnknownSources;
                        nextLive.Add(new Beam([.. parent.Ids, extension.Token], unknownSources, extension.Score));
                        nextParents.Add(row + extension.Parent);
                        nextTokens.Add(extension.Token);
                        nextArticle.Add(a);
                    }
                }
                row += beams.Count;
                if (nextLive.Count == 0 && finished[a].Count == 0) stuck[a].AddRange(beams.Select(b => new DecodedTitle(b.Ids, b.UnknownSources, b.Score, false)));
                live[a] = nextLive;
                if (!options.NormalizeByLength && finished[a].Count > 0 && nextLive.Count > 0 && finished[a].Max(f => f.Score) >= nextLive.Max(b => b.Score))
                {
                    nextParents.RemoveRange(nextParents.Count - nextLive.Count, nextLive.Count);
                    nextTokens.RemoveRange(nextTokens.Count - nextLive.Count, nextLive.Count);
                    nextArticle.RemoveRange(nextArticle.Count - nextLive.Count, nextLive.Count);
                    live[a] = [];
                }
                if (live[a].Count == 0) done[a] = true;
            }
            (parents, tokens, articleOfRow) = (nextParents.ToArray(), nextTokens.ToArray(), nextArticle.ToArray());
        }
        return Enumerable.Range(0, count).Select(a =>
        {
            var candidates = finished[a].Concat(stuck[a]).Concat(live[a].Select(b => new DecodedTitle(b.Ids, b.UnknownSources, b.Score, false)));
            return candidates.MaxBy(f => Rank(f, options.NormalizeByLength))!;
        }).ToArray();
    }

    static List<Extension> Best(float[] host, int firstRow, List<Beam> beams, int vocabulary, int keep, bool endForbidden, HashSet<int>? allowed, int noRepeatNgram)
    {
        var best = new List<Extension>(keep + 1);
        var threshold = double.NegativeInfinity;
        for (var b = 0; b < beams.Count; b++)
        {
            var forbidden = RepeatBlocking.Forbidden(beams[b].Ids, noRepeatNgram);
            var row = host.AsSpan((firstRow + b) * vocabulary, vocabulary);
            var beamScore = beams[b].Score;
            for (var token = 0; token < row.Length; token++)
            {
                var score = beamScore + row[token];
                if (!(score > threshold)) continue;
                if (token is TitleVocabulary.Padding or TitleVocabulary.Start) continue;
                if (endForbidden && token == TitleVocabulary.End) continue;
                if (allowed is not null && !allowed.Contains(token)) continue;
                if (forbidden.Count > 0 && forbidden.Contains(token)) continue;
                var at = best.Count;
                while (at > 0 && best[at - 1].Score < score) at--;
                best.Insert(at, new Extension(b, token, score));
                if (best.Count > keep) best.RemoveAt(keep);
                if (best.Count == keep) threshold = best[^1].Score;
            }
        }
        return best;
    }

    static double Rank(DecodedTitle title, bool normalize) =>
        normalize ? title.Score / Math.Max(1, title.Ids.Length + (title.Finished ? 1 : 0)) : title.Score;
}
