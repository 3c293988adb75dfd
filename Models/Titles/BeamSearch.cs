using Functional.Core;
using TorchSharp;

namespace Functional.Models;

/// <summary>What the non-incremental reference search re-runs at every step.</summary>
public enum PrefixRerun
{
    /// <summary>The decoder over each beam's prefix; the article is encoded once.</summary>
    DecoderOnly,

    /// <summary>The whole model, encoder included, on (article, prefix) for each beam.</summary>
    WholeModel,
}

/// <summary>Beam search over titles for one article, with the beams of a step batched.</summary>
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
    /// token with <see cref="BeamSearchOptions.NormalizeByLength"/>); without normalisation the search stops as soon as
    /// no live beam can beat the best finished one. Width 1 gives exactly <see cref="GreedyDecoding.Decode"/>.
    /// </remarks>
    public static DecodedTitle Decode(TitleModelParams parameters, int[] article, BeamSearchOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var encoded = TitleGeneration.Encode(parameters, [article]);
        using var stepper = new CachedStepper(parameters, encoded);
        return Run(stepper, options.Validate());
    }

    /// <summary>
    /// The same search as <see cref="Decode"/> without the cache: every step re-runs the decoder over each beam's
    /// whole prefix (beams batched), and with <see cref="PrefixRerun.WholeModel"/> the encoder too, as a decoder
    /// written without incremental state does (the Keras original calls the whole model on (article, prefix) at each
    /// step). The reference that incremental decoding must equal, and the baseline of its benchmark.
    /// </summary>
    public static DecodedTitle DecodeByRerunningPrefix(TitleModelParams parameters, int[] article, BeamSearchOptions options, PrefixRerun rerun)
    {
        using var scope = torch.NewDisposeScope();
        var encoded = TitleGeneration.Encode(parameters, [article]);
        using var stepper = new PrefixStepper(parameters, encoded, article, rerun);
        return Run(stepper, options.Validate());
    }

    sealed record Beam(int[] Ids, double Score);

    static DecodedTitle Run(ITitleStepper stepper, BeamSearchOptions options)
    {
        var live = new List<Beam> { new([], 0) };
        var finished = new List<DecodedTitle>();
        long[] parents = [0];
        int[] tokens = [CharacterVocabulary.Start];
        for (var length = 0; length < options.MaxLength && live.Count > 0; length++)
        {
            using var scope = torch.NewDisposeScope();
            var logProbabilities = stepper.Next(parents, tokens);
            if (length < options.MinLength) logProbabilities[.., CharacterVocabulary.End] = double.NegativeInfinity;
            var scores = torch.tensor(live.Select(b => b.Score).ToArray(), dtype: torch.float64).unsqueeze(1) + logProbabilities.to(torch.float64).cpu();
            var vocabulary = scores.shape[1];
            var keep = (int)Math.Min(options.Width - finished.Count, scores.numel());
            var (values, indices) = scores.flatten().topk(keep);
            var top = values.data<double>().ToArray();
            var index = indices.data<long>().ToArray();
            var nextLive = new List<Beam>();
            var nextParents = new List<long>();
            var nextTokens = new List<int>();
            for (var i = 0; i < keep; i++)
            {
                if (double.IsNegativeInfinity(top[i])) continue;
                var parent = index[i] / vocabulary;
                var token = (int)(index[i] % vocabulary);
                if (token == CharacterVocabulary.End) finished.Add(new DecodedTitle(live[(int)parent].Ids, top[i], true));
                else
                {
                    nextLive.Add(new Beam([.. live[(int)parent].Ids, token], top[i]));
                    nextParents.Add(parent);
                    nextTokens.Add(token);
                }
            }
            live = nextLive;
            (parents, tokens) = (nextParents.ToArray(), nextTokens.ToArray());
            if (!options.NormalizeByLength && finished.Count > 0 && live.Count > 0 && finished.Max(f => f.Score) >= live.Max(b => b.Score)) break;
        }
        finished.AddRange(live.Select(b => new DecodedTitle(b.Ids, b.Score, false)));
        return finished.MaxBy(f => Rank(f, options.NormalizeByLength))!;
    }

    static double Rank(DecodedTitle title, bool normalize) =>
        normalize ? title.Score / Math.Max(1, title.Ids.Length + (title.Finished ? 1 : 0)) : title.Score;
}
