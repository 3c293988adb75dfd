using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles.UniLm;

/// <summary>The reference searches of the UniLM: without the KV cache.</summary>
public static class UniLmDecoding
{
    /// <summary>
    /// Beam search of several articles (ids, already cut to the model's maximum; may be empty) on the KV cache
    /// (<see cref="UniLmStepper"/>) through <see cref="BeamSearch"/>'s own search: width 1 is greedy decoding.
    /// </summary>
    public static DecodedTitle[] DecodeMany(UniLmParams parameters, IReadOnlyList<int[]> articles, BeamSearchOptions options)
    {
        options.Validate();
        using var scope = torch.NewDisposeScope();
        using var stepper = new UniLmStepper(parameters, articles);
        return BeamSearch.Search(stepper, articles, parameters.Embedding.Weight.shape[0], options);
    }

    /// <summary>
    /// The same search as <see cref="DecodeMany"/> without the cache: every step re-runs the whole
    /// transformer on "article [SEP] prefix" for every beam (beams batched) with <see cref="UniLmForward.Probabilities"/>.
    /// The reference that cached decoding must equal.
    /// </summary>
    public static DecodedTitle DecodeByRerunningPrefix(UniLmParams parameters, int[] article, BeamSearchOptions options)
    {
        options.Validate();
        using var scope = torch.NewDisposeScope();
        using var stepper = new UniLmPrefixStepper(parameters, [article]);
        return BeamSearch.Search(stepper, [article], parameters.Embedding.Weight.shape[0], options)[0];
    }
}

/// <summary>Every step re-runs the whole model over each hypothesis's article and prefix (start included), all hypotheses as one batch.</summary>
sealed class UniLmPrefixStepper(UniLmParams parameters, IReadOnlyList<int[]> articles) : ITitleStepper
{
    static readonly torch.Generator Unused = new(0);
    int[][] prefixes = [];

    public TitleStep Next(long[] parents, int[] tokens, int[] articleOfRow)
    {
        prefixes = prefixes.Length == 0
            ? parents.Select((_, i) => new[] { tokens[i] }).ToArray()
            : parents.Select((parent, i) => (int[])[.. prefixes[parent], tokens[i]]).ToArray();
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        var device = parameters.Embedding.Weight.device;
        var input = torch.tensor(prefixes.SelectMany(p => p.Select(t => (long)t)).ToArray(), [prefixes.Length, prefixes[0].Length], device: device);
        var rows = articleOfRow.Select(a => articles[a]).ToArray();
        var longest = Math.Max(1, rows.Max(r => r.Length));
        var article = torch.tensor(rows.SelectMany(r => r.Select(id => (long)id).Concat(Enumerable.Repeat(0L, longest - r.Length))).ToArray(), [rows.Length, longest], device: device);
        var probabilities = UniLmForward.Probabilities(parameters, article, input, false, 0, Unused);
        var logProbabilities = probabilities[.., -1].clamp_min(TitleDecoder.FloorScalar).log();
        // The Unknown source: the copy attention of the last position, recomputed as the forward does.
        var mask = article.ne(TitleEncoder.PaddingId);
        var weights = UniLmForward.CopyWeights(parameters, article, input);
        var sources = TitleDecoder.MostAttendedUnknown(weights[.., -1], TitleDecoder.KnownPositions(article.masked_fill(mask.logical_not(), TitleEncoder.PaddingId)));
        return new TitleStep(logProbabilities.MoveToOuterDisposeScope(), sources.cpu().data<long>().ToArray());
    }

    public void Dispose() { }
}
