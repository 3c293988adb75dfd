using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>
/// Produces the next character's log-probabilities for the live hypotheses of a batch of articles. Each call names,
/// for every new hypothesis (row), the row of the previous call it extends (<c>parents</c>), the character it appended
/// (<c>tokens</c>) and the article it belongs to (<c>articles</c>); the first call has one row per article (the start).
/// </summary>
interface ITitleStepper : IDisposable
{
    /// <summary>The next character's log-probabilities and Unknown sources of every row; rows = parents.Length.</summary>
    TitleStep Next(long[] parents, int[] tokens, int[] articles);
}

/// <summary>What a stepper gives for one step.</summary>
/// <param name="LogProbabilities">[rows, vocabulary]: the next character's log-probabilities, in the caller's dispose scope.</param>
/// <param name="UnknownSources">Per row, on the host: the article position an Unknown written at this step is copied from,
/// or -1 (<see cref="DecoderStepResult.UnknownSource"/>).</param>
sealed record TitleStep(torch.Tensor LogProbabilities, long[] UnknownSources);

/// <summary>
/// Incremental decoding: the encoder ran once and the articles were prepared once (<see cref="IncrementalDecoder"/>);
/// the decoder state of each hypothesis is cached and reordered by parent. The articles' rows are selected again only
/// when the rows' articles change (beams finishing), not at every step.
/// </summary>
sealed class CachedStepper : ITitleStepper
{
    readonly TitleModelParams parameters;
    readonly PreparedDecoder decoder;
    readonly PreparedArticles articles;
    LstmState? state;
    int[] rowArticles = [];
    PreparedArticles? rows;

    /// <summary>Prepares <paramref name="article"/> (one row per article) in the caller's dispose scope.</summary>
    public CachedStepper(TitleModelParams parameters, EncodedArticle article)
    {
        this.parameters = parameters;
        decoder = IncrementalDecoder.Prepare(parameters);
        articles = IncrementalDecoder.PrepareArticles(parameters, article);
    }

    public TitleStep Next(long[] parents, int[] tokens, int[] articleOfRow)
    {
        using var scope = torch.NewDisposeScope();
        var device = articles.Ids.device;
        LstmState previousState;
        if (state is null) previousState = TitleDecoder.InitialState(parameters, parents.Length);
        else
        {
            var parentIndex = torch.tensor(parents, device: device);
            previousState = new LstmState(state.Hidden.index_select(1, parentIndex), state.Cell.index_select(1, parentIndex));
        }
        var step = IncrementalDecoder.Step(decoder, Rows(articleOfRow), torch.tensor(tokens.Select(t => (long)t).ToArray(), device: device), previousState);
        if (state is not null) Tree.Dispose(state);
        // The state outlives the caller's per-step scopes: it belongs to this stepper until the next step or Dispose.
        state = step.State;
        state.Hidden.DetachFromDisposeScope();
        state.Cell.DetachFromDisposeScope();
        scope.MoveToOuter(step.LogProbabilities);
        return new TitleStep(step.LogProbabilities, step.UnknownSource.cpu().data<long>().ToArray());
    }

    /// <summary>The prepared article of each row: views when all rows read one article, a gather otherwise; kept while the rows' articles stay the same.</summary>
    PreparedArticles Rows(int[] articleOfRow)
    {
        if (rows is not null && articleOfRow.AsSpan().SequenceEqual(rowArticles)) return rows;
        if (rows is not null) Tree.Dispose(rows);
        rows = articles.Ids.shape[0] == 1
            ? articles.Repeat(articleOfRow.Length)
            : articles.Select(torch.tensor(articleOfRow.Select(a => (long)a).ToArray(), device: articles.Ids.device));
        foreach (var tensor in Tree.Leaves(rows)) tensor.DetachFromDisposeScope();
        rowArticles = articleOfRow;
        return rows;
    }

    public void Dispose()
    {
        if (state is not null) Tree.Dispose(state);
        if (rows is not null) Tree.Dispose(rows);
    }
}

/// <summary>
/// The reference: every step re-runs the decoder over each hypothesis's whole prefix (start included), all
/// hypotheses as one batch; with <see cref="PrefixRerun.WholeModel"/> the encoder runs again too.
/// </summary>
sealed class PrefixStepper : ITitleStepper
{
    readonly TitleModelParams parameters;
    readonly EncodedArticle article;
    readonly IReadOnlyList<int[]> articleIds;
    readonly PrefixRerun rerun;
    int[][] prefixes = [];

    public PrefixStepper(TitleModelParams parameters, EncodedArticle article, IReadOnlyList<int[]> articleIds, PrefixRerun rerun) =>
        (this.parameters, this.article, this.articleIds, this.rerun) = (parameters, article, articleIds, rerun);

    public TitleStep Next(long[] parents, int[] tokens, int[] articles)
    {
        prefixes = prefixes.Length == 0
            ? parents.Select((_, i) => new[] { tokens[i] }).ToArray()
            : parents.Select((parent, i) => (int[])[.. prefixes[parent], tokens[i]]).ToArray();
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        var device = article.Memory.device;
        var input = torch.tensor(prefixes.SelectMany(p => p.Select(t => (long)t)).ToArray(), [prefixes.Length, prefixes[0].Length], device: device);
        var rows = rerun == PrefixRerun.WholeModel
            ? TitleGeneration.Encode(parameters, articles.Select(a => articleIds[a]).ToArray())
            : article.Select(torch.tensor(articles.Select(a => (long)a).ToArray(), device: device));
        using var generator = new torch.Generator(0, device);
        using var capture = Capture.Of(TitleDecoder.AttentionCapture);
        var logProbabilities = TitleDecoder.Apply(parameters, rows, input, false, 0, generator, capture);
        var sources = TitleDecoder.MostAttendedUnknown(capture[TitleDecoder.AttentionCapture][.., -1], TitleDecoder.KnownPositions(rows.Ids));
        return new TitleStep(logProbabilities[.., -1].MoveToOuterDisposeScope(), sources.cpu().data<long>().ToArray());
    }

    public void Dispose() { }
}
