using TorchSharp;

namespace Functional.Models;

/// <summary>What the non-incremental reference search re-runs at every step.</summary>
public enum PrefixRerun
{
    /// <summary>The decoder over each beam's prefix; the articles are encoded once.</summary>
    DecoderOnly,

    /// <summary>The whole model, encoder included, on (article, prefix) for each beam.</summary>
    WholeModel,
}

/// <summary>Beam search over titles, with the live beams of every article stepped as one batch.</summary>
public static class BeamSearch
{
    /// <summary>
    /// The best title for <paramref name="article"/> (ids, already cut to the model's maximum; may be empty) by beam
    /// search: the encoder runs once, each beam's decoder state is cached, and all live beams step as one batch.
    /// </summary>
    /// <remarks>
    /// Each step extends the live beams by every character and keeps the best <c>Width - finished</c> extensions; an
    /// extension ending in the end token is finished and leaves the beam. The end token is forbidden before
    /// <see cref="BeamSearchOptions.MinLength"/> characters; beams still live at <see cref="BeamSearchOptions.MaxLength"/>
    /// characters count as unfinished candidates. The result is the best candidate by total log-probability (or per
    /// token with <see cref="BeamSearchOptions.NormalizeByLength"/>); without normalisation the search of an article
    /// stops as soon as none of its live beams can beat its best finished one. Width 1 gives exactly
    /// <see cref="GreedyDecoding.Decode"/>.
    /// </remarks>
    public static DecodedTitle Decode(TitleModelParams parameters, int[] article, BeamSearchOptions options) =>
        DecodeMany(parameters, [article], options)[0];

    /// <summary>
    /// <see cref="Decode"/> for several articles at once: the articles are encoded as one batch and the live beams of
    /// all of them step together (faster on many articles; each article's search is the same as alone, up to float
    /// rounding of the batched arithmetic).
    /// </summary>
    public static DecodedTitle[] DecodeMany(TitleModelParams parameters, IReadOnlyList<int[]> articles, BeamSearchOptions options)
    {
        options.Validate();
        using var scope = torch.NewDisposeScope();
        var encoded = TitleGeneration.Encode(parameters, articles);
        using var stepper = new CachedStepper(parameters, encoded);
        var allowed = options.ArticleCharactersOnly ? ArticleCharacters(articles, parameters.Embedding.Weight.shape[0]) : null;
        return Run(stepper, articles.Count, options, allowed);
    }

    /// <summary>[articles, vocabulary] bool: true at each real character of the article and at the end token.</summary>
    static torch.Tensor ArticleCharacters(IReadOnlyList<int[]> articles, long vocabulary)
    {
        var allowed = new bool[articles.Count * vocabulary];
        for (var a = 0; a < articles.Count; a++)
        {
            allowed[a * vocabulary + CharacterVocabulary.End] = true;
            foreach (var id in articles[a].Where(id => id > CharacterVocabulary.End && id < vocabulary)) allowed[a * vocabulary + id] = true;
        }
        return torch.tensor(allowed, [articles.Count, vocabulary]);
    }

    /// <summary>
    /// The same search as <see cref="Decode"/> without the cache: every step re-runs the decoder over each beam's
    /// whole prefix (beams batched), and with <see cref="PrefixRerun.WholeModel"/> the encoder too, as a decoder
    /// written without incremental state does (the Keras original calls the whole model on (article, prefix) at each
    /// step). The reference that incremental decoding must equal, and the baseline of its benchmark.
    /// </summary>
    public static DecodedTitle DecodeByRerunningPrefix(TitleModelParams parameters, int[] article, BeamSearchOptions options, PrefixRerun rerun)
    {
        options.Validate();
        using var scope = torch.NewDisposeScope();
        var encoded = TitleGeneration.Encode(parameters, [article]);
        using var stepper = new PrefixStepper(parameters, encoded, [article], rerun);
        return Run(stepper, 1, options, options.ArticleCharactersOnly ? ArticleCharacters([article], parameters.Embedding.Weight.shape[0]) : null)[0];
    }

    sealed record Beam(int[] Ids, double Score);

    /// <summary>The search of <paramref name="count"/> articles; rows of each step are grouped by article, in article order.</summary>
    static DecodedTitle[] Run(ITitleStepper stepper, int count, BeamSearchOptions options, torch.Tensor? allowed)
    {
        var live = Enumerable.Range(0, count).Select(_ => new List<Beam> { new([], 0) }).ToArray();
        var finished = Enumerable.Range(0, count).Select(_ => new List<DecodedTitle>()).ToArray();
        // Beams that had no allowed extension at all (possible only with a tiny vocabulary): unfinished candidates.
        var stuck = Enumerable.Range(0, count).Select(_ => new List<DecodedTitle>()).ToArray();
        var done = new bool[count];
        var parents = Enumerable.Range(0, count).Select(a => (long)a).ToArray();
        var tokens = Enumerable.Repeat(CharacterVocabulary.Start, count).ToArray();
        var articleOfRow = Enumerable.Range(0, count).ToArray();
        for (var length = 0; length < options.MaxLength && parents.Length > 0; length++)
        {
            using var scope = torch.NewDisposeScope();
            var logProbabilities = stepper.Next(parents, tokens, articleOfRow);
            if (allowed is not null)
                logProbabilities = logProbabilities.masked_fill(
                    allowed.index_select(0, torch.tensor(articleOfRow.Select(a => (long)a).ToArray())).logical_not(), double.NegativeInfinity);
            if (length < options.MinLength) logProbabilities[.., CharacterVocabulary.End] = double.NegativeInfinity;
            logProbabilities = RepeatBlocking.Apply(logProbabilities, Enumerable.Range(0, count).Where(a => !done[a]).SelectMany(a => live[a].Select(b => (IReadOnlyList<int>)b.Ids)).ToArray(), options.NoRepeatNgram);
            var host = logProbabilities.to(torch.float64).cpu();
            var vocabulary = host.shape[1];
            var nextParents = new List<long>();
            var nextTokens = new List<int>();
            var nextArticle = new List<int>();
            var row = 0;
            for (var a = 0; a < count; a++)
            {
                if (done[a]) continue;
                var beams = live[a];
                var scores = torch.tensor(beams.Select(b => b.Score).ToArray(), dtype: torch.float64).unsqueeze(1) + host.narrow(0, row, beams.Count);
                var keep = (int)Math.Min(options.Width - finished[a].Count, scores.numel());
                var (values, indices) = scores.flatten().topk(keep);
                var top = values.data<double>().ToArray();
                var index = indices.data<long>().ToArray();
                var nextLive = new List<Beam>();
                for (var i = 0; i < keep; i++)
                {
                    if (double.IsNegativeInfinity(top[i])) continue;
                    var parent = (int)(index[i] / vocabulary);
                    var token = (int)(index[i] % vocabulary);
                    if (token == CharacterVocabulary.End) finished[a].Add(new DecodedTitle(beams[parent].Ids, top[i], true));
                    else
                    {
                        nextLive.Add(new Beam([.. beams[parent].Ids, token], top[i]));
                        nextParents.Add(row + parent);
                        nextTokens.Add(token);
                        nextArticle.Add(a);
                    }
                }
                row += beams.Count;
                if (nextLive.Count == 0 && finished[a].Count == 0) stuck[a].AddRange(beams.Select(b => new DecodedTitle(b.Ids, b.Score, false)));
                live[a] = nextLive;
                if (!options.NormalizeByLength && finished[a].Count > 0 && nextLive.Count > 0 && finished[a].Max(f => f.Score) >= nextLive.Max(b => b.Score))
                {
                    // No live beam can still win: drop them from the batch.
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
            var candidates = finished[a].Concat(stuck[a]).Concat(live[a].Select(b => new DecodedTitle(b.Ids, b.Score, false)));
            return candidates.MaxBy(f => Rank(f, options.NormalizeByLength))!;
        }).ToArray();
    }

    static double Rank(DecodedTitle title, bool normalize) =>
        normalize ? title.Score / Math.Max(1, title.Ids.Length + (title.Finished ? 1 : 0)) : title.Score;
}
