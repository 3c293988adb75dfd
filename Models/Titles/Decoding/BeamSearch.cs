using System.Runtime.InteropServices;
using TorchSharp;
using Functional.Core;
using Functional.Models.Text;

namespace Functional.Models.Titles;

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

    /// <summary>
    /// The search of <see cref="DecodeMany"/> over any model's <paramref name="stepper"/> (made for
    /// <paramref name="articles"/>, one row per article) with <paramref name="vocabulary"/> ids.
    /// </summary>
    internal static DecodedTitle[] Search(ITitleStepper stepper, IReadOnlyList<int[]> articles, long vocabulary, BeamSearchOptions options) =>
        Run(stepper, articles.Count, options, options.ArticleCharactersOnly ? ArticleCharacters(articles, vocabulary) : null);

    /// <summary>Per article, the ids a title may use: each real character of the article and the end token.</summary>
    static HashSet<int>[] ArticleCharacters(IReadOnlyList<int[]> articles, long vocabulary) =>
        articles.Select(article => article.Where(id => id > CharacterVocabulary.End && id < vocabulary).Append(CharacterVocabulary.End).ToHashSet()).ToArray();

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

    /// <summary>A live hypothesis: its ids, the article position of each Unknown among them (in order, -1: none), its score.</summary>
    sealed record Beam(int[] Ids, int[] UnknownSources, double Score);

    /// <summary>An extension of a live beam: the beam's row in the step, the character, and the new total score.</summary>
    readonly record struct Extension(int Parent, int Token, double Score);

    /// <summary>
    /// The search of <paramref name="count"/> articles; rows of each step are grouped by article, in article order.
    /// Each step makes one copy of the log-probabilities (and one of the rows' Unknown sources) to the host; forbidding
    /// (minimum length, copy-only, repeat blocking) and choosing the best extensions are done there, without further
    /// tensor operations. An extension by <see cref="CharacterVocabulary.Unknown"/> records its row's Unknown source.
    /// </summary>
    static DecodedTitle[] Run(ITitleStepper stepper, int count, BeamSearchOptions options, HashSet<int>[]? allowed)
    {
        var live = Enumerable.Range(0, count).Select(_ => new List<Beam> { new([], [], 0) }).ToArray();
        var finished = Enumerable.Range(0, count).Select(_ => new List<DecodedTitle>()).ToArray();
        // Beams that had no allowed extension at all (possible only with a tiny vocabulary): unfinished candidates.
        var stuck = Enumerable.Range(0, count).Select(_ => new List<DecodedTitle>()).ToArray();
        var done = new bool[count];
        var parents = Enumerable.Range(0, count).Select(a => (long)a).ToArray();
        var tokens = Enumerable.Repeat(CharacterVocabulary.Start, count).ToArray();
        var articleOfRow = Enumerable.Range(0, count).ToArray();
        // One buffer for every step (a fresh array per step would feed the garbage collector megabytes per step).
        var host = Array.Empty<float>();
        for (var length = 0; length < options.MaxLength && parents.Length > 0; length++)
        {
            int vocabulary;
            long[] sources;
            using (var scope = torch.NewDisposeScope())
            {
                var step = stepper.Next(parents, tokens, articleOfRow);
                sources = step.UnknownSources;
                var logProbabilities = step.LogProbabilities.to(torch.float32).cpu().contiguous();
                vocabulary = (int)logProbabilities.shape[1];
                if (host.Length < logProbabilities.numel()) host = new float[logProbabilities.numel()];
                // One block copy (the accessor's CopyTo goes element by element, about 10x slower).
                MemoryMarshal.Cast<byte, float>(logProbabilities.bytes).CopyTo(host);
            }
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
                    if (extension.Token == CharacterVocabulary.End) finished[a].Add(new DecodedTitle(parent.Ids, parent.UnknownSources, extension.Score, true));
                    else
                    {
                        int[] unknownSources = extension.Token == CharacterVocabulary.Unknown ? [.. parent.UnknownSources, (int)sources[row + extension.Parent]] : parent.UnknownSources;
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
            var candidates = finished[a].Concat(stuck[a]).Concat(live[a].Select(b => new DecodedTitle(b.Ids, b.UnknownSources, b.Score, false)));
            return candidates.MaxBy(f => Rank(f, options.NormalizeByLength))!;
        }).ToArray();
    }

    /// <summary>
    /// The <paramref name="keep"/> best allowed extensions of <paramref name="beams"/> (whose log-probabilities are the
    /// rows from <paramref name="firstRow"/> of <paramref name="host"/>), best first; ties go to the lower (beam,
    /// character) pair. An extension is allowed when its score is finite, it is neither padding nor start, it is not the
    /// end token before the minimum length, it is among <paramref name="allowed"/> (when given) and it does not repeat an n-gram of its beam.
    /// </summary>
    static List<Extension> Best(float[] host, int firstRow, List<Beam> beams, int vocabulary, int keep, bool endForbidden, HashSet<int>? allowed, int noRepeatNgram)
    {
        var best = new List<Extension>(keep + 1);
        // An extension must beat this to be kept: −∞ while fewer than keep are kept (so −∞ and NaN never are), then the worst kept.
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
                if (token is CharacterVocabulary.Padding or CharacterVocabulary.Start) continue;
                if (endForbidden && token == CharacterVocabulary.End) continue;
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
