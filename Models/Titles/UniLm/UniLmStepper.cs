using Functional.Core;
using Functional.Models.Text;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Titles.UniLm;

/// <summary>
/// Incremental UniLM decoding on the KV cache, as <see cref="ITitleStepper"/> (so beam search, greedy decoding,
/// batched generation, repeat blocking and Unknown replacement run unchanged): the articles run once through the
/// transformer as the first cached step (bidirectional among themselves, at positions 0..), and each later step runs
/// only the new character of every hypothesis at its absolute position (the row's article length + step), attending to
/// the cached article and title slots; the cache is reordered by parent with <see cref="TransformerStackCache.Select"/>.
/// Equals <see cref="UniLmForward.Probabilities"/> on the whole prefix at every step, up to float rounding.
/// Each call names, for every new row, the row of the previous call it extends (<c>parents</c>), the character it
/// appends (<c>tokens</c>) and its article (<c>articles</c>); the first call has one row per article (the start).
/// </summary>
public sealed class UniLmStepper : ITitleStepper
{
    static readonly torch.Generator Unused = new(0);
    readonly UniLmParams parameters;
    readonly UniLmArticle articles;
    readonly TransformerStackCache articleCache;
    readonly torch.Tensor articleLengths;
    TransformerStackCache? cache;
    int[] rowArticles = [];
    UniLmArticle? rows;
    long step;

    /// <summary>Runs the articles (ids; an empty one is an all-padding row) through the transformer, in the caller's dispose scope.</summary>
    /// <exception cref="ArgumentException">There are no articles, or an id is outside the model's vocabulary.</exception>
    public UniLmStepper(UniLmParams parameters, IReadOnlyList<int[]> articleIds)
    {
        this.parameters = parameters;
        var vocabulary = parameters.Embedding.Weight.shape[0];
        if (articleIds.Count == 0) throw new ArgumentException("UniLM decoding needs at least one article.", nameof(articleIds));
        foreach (var article in articleIds)
            if (article.Any(id => id <= CharacterVocabulary.Padding || id >= vocabulary))
                throw new ArgumentException($"Article ids must be in [1, {vocabulary}) (the model's vocabulary), got {article.First(id => id <= 0 || id >= vocabulary)}.", nameof(articleIds));
        using var noGradient = torch.no_grad();
        var device = parameters.Embedding.Weight.device;
        using var padded = PaddedSequences.Collate(articleIds, CharacterVocabulary.Padding, 1);
        var ids = padded.Ids.to(device).to(torch.int64);
        var mask = ids.ne(TitleEncoder.PaddingId);
        var x = UniLmForward.Embed(parameters, ids, torch.zeros_like(ids)).masked_fill(mask.logical_not().unsqueeze(-1), Scalars.Zero);
        var none = torch.zeros([ids.shape[0], 0], dtype: torch.@bool, device: device);
        var first = TransformerStack.Step(parameters.Stack, new MaskedSequence(x, mask), UniLmMask.Allowed(mask, none), UniLmMask.Positions(mask, none),
            TransformerStackCache.Empty(parameters.Stack, ids.shape[0]), 0, false, Unused);
        articleCache = first.Cache;
        articles = UniLmForward.Article(parameters, first.Output.Values, mask, ids);
        articleLengths = UniLmMask.ArticleLengths(mask);
    }

    /// <summary>
    /// The next character's log-probabilities [rows, vocabulary] (in the caller's dispose scope) and, per row, the
    /// article position an Unknown written now is copied from (-1: none); rows = parents.Length. Evaluation mode.
    /// </summary>
    public (torch.Tensor LogProbabilities, long[] UnknownSources) Step(long[] parents, int[] tokens, int[] articleOfRow)
    {
        var next = Next(parents, tokens, articleOfRow);
        return (next.LogProbabilities, next.UnknownSources);
    }

    TitleStep ITitleStepper.Next(long[] parents, int[] tokens, int[] articleOfRow) => Next(parents, tokens, articleOfRow);

    TitleStep Next(long[] parents, int[] tokens, int[] articleOfRow)
    {
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        var device = articles.Ids.device;
        var articleIndex = torch.tensor(articleOfRow.Select(a => (long)a).ToArray(), device: device);
        var previous = cache is null ? articleCache.Select(articleIndex) : cache.Select(torch.tensor(parents, device: device));
        var count = tokens.Length;
        var x = UniLmForward.Embed(parameters, torch.tensor(tokens.Select(t => (long)t).ToArray(), [count, 1], device: device), torch.ones([count, 1], dtype: torch.int64, device: device));
        using var offset = step.ToScalar();
        var positions = articleLengths.index_select(0, articleIndex).add(offset, Scalars.One).unsqueeze(1);
        var slots = articles.Ids.shape[1] + step;
        var allowed = torch.ones([count, 1, slots + 1], dtype: torch.@bool, device: device);
        var result = TransformerStack.Step(parameters.Stack, new MaskedSequence(x, torch.ones([count, 1], dtype: torch.@bool, device: device)), allowed, positions, previous, slots, false, Unused);
        var (probabilities, weights) = UniLmForward.Mixture(parameters, Rows(articleOfRow), result.Output.Values);
        var logProbabilities = probabilities.squeeze(1).clamp_min(TitleDecoder.FloorScalar).log();
        var sources = TitleDecoder.MostAttendedUnknown(weights.squeeze(1), TitleDecoder.KnownPositions(Rows(articleOfRow).Ids));
        // The cache outlives the caller's per-step scopes: it belongs to this stepper until the next step or Dispose.
        if (cache is not null) Release(cache);
        cache = result.Cache;
        foreach (var layer in cache.Layers)
            foreach (var tensor in new[] { layer.Keys, layer.Values, layer.Mask }) tensor.DetachFromDisposeScope();
        step++;
        scope.MoveToOuter(logProbabilities);
        return new TitleStep(logProbabilities, sources.cpu().data<long>().ToArray());
    }

    /// <summary>The article of each row, kept while the rows' articles stay the same.</summary>
    UniLmArticle Rows(int[] articleOfRow)
    {
        if (rows is not null && articleOfRow.AsSpan().SequenceEqual(rowArticles)) return rows;
        if (rows is not null) Release(rows);
        rows = articles.Select(torch.tensor(articleOfRow.Select(a => (long)a).ToArray(), device: articles.Ids.device));
        foreach (var tensor in new[] { rows.Memory, rows.Mask, rows.Ids, rows.Prior }) tensor.DetachFromDisposeScope();
        rowArticles = articleOfRow;
        return rows;
    }

    static void Release(TransformerStackCache stack)
    {
        foreach (var layer in stack.Layers)
            foreach (var tensor in new[] { layer.Keys, layer.Values, layer.Mask }) tensor.Dispose();
    }

    static void Release(UniLmArticle article)
    {
        foreach (var tensor in new[] { article.Memory, article.Mask, article.Ids, article.Prior }) tensor.Dispose();
    }

    /// <summary>Releases the cache of the last step and the rows' articles (what the constructor made belongs to its caller's scope).</summary>
    public void Dispose()
    {
        if (cache is not null) Release(cache);
        if (rows is not null) Release(rows);
    }
}
