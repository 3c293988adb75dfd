using Functional.Core;
using TorchSharp;
using Functional.Models.Text;
using Functional.Training;

namespace Functional.Models.Titles;

/// <summary>What decoding shares: encoding articles given as ids, and the step loop of greedy decoding and sampling.</summary>
public static class TitleGeneration
{
    /// <summary>
    /// Encodes <paramref name="articles"/> (ids; an empty article is an all-padding row, which the model handles) as
    /// one padded batch on the parameters' device, without gradients. Pure.
    /// </summary>
    /// <exception cref="ArgumentException">There are no articles, or an id is outside the model's vocabulary.</exception>
    public static EncodedArticle Encode(TitleModelParams parameters, IReadOnlyList<int[]> articles)
    {
        var vocabulary = parameters.Embedding.Weight.shape[0];
        foreach (var article in articles)
            if (article.Any(id => id <= CharacterVocabulary.Padding || id >= vocabulary))
                throw new ArgumentException($"Article ids must be in [1, {vocabulary}) (the model's vocabulary), got {article.First(id => id <= 0 || id >= vocabulary)}.", nameof(articles));
        using var noGradient = torch.no_grad();
        using var padded = PaddedSequences.Collate(articles, CharacterVocabulary.Padding, 1);
        using var ids = padded.Ids.to(parameters.Embedding.Weight.device);
        using var generator = new torch.Generator(0, ids.device);
        return TitleEncoder.Apply(parameters, ids, false, 0, generator);
    }

    /// <summary>
    /// Decodes every article at once, choosing each row's next character with <paramref name="choose"/>
    /// (log-probabilities [rows, vocabulary] with the end token already forbidden where needed, padding and start
    /// always forbidden, and the characters that would repeat an n-gram of size <paramref name="noRepeatNgram"/>, to
    /// ids [rows]). A row that chooses <see cref="CharacterVocabulary.Unknown"/> records the step's Unknown source
    /// (<see cref="DecodedTitle.UnknownSources"/>; copied to the host only at steps where some row chose it).
    /// </summary>
    internal static DecodedTitle[] StepLoop(TitleModelParams parameters, IReadOnlyList<int[]> articles, int minLength, int maxLength, int noRepeatNgram, Func<torch.Tensor, torch.Tensor> choose)
    {
        using var scope = torch.NewDisposeScope();
        var encoded = Encode(parameters, articles);
        var rows = articles.Count;
        var ids = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var unknownSources = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var scores = new double[rows];
        var finished = new bool[rows];
        // A row stops unfinished when every character is forbidden to it (possible only with a tiny vocabulary).
        var stuck = new bool[rows];
        var decoder = IncrementalDecoder.Prepare(parameters);
        var prepared = IncrementalDecoder.PrepareArticles(parameters, encoded);
        var state = TitleDecoder.InitialState(parameters, rows);
        using var startId = CharacterVocabulary.Start.ToScalar();
        var previous = torch.full(rows, startId, dtype: torch.int64, device: encoded.Memory.device);
        for (var length = 0; length < maxLength && Enumerable.Range(0, rows).Any(row => !finished[row] && !stuck[row]); length++)
        {
            using var stepScope = torch.NewDisposeScope();
            var step = IncrementalDecoder.Step(decoder, prepared, previous, state);
            var logProbabilities = RepeatBlocking.Apply(step.LogProbabilities, ids, noRepeatNgram);
            if (length < minLength) logProbabilities[.., CharacterVocabulary.End] = double.NegativeInfinity;
            // Padding and start are never written (no title has them).
            logProbabilities[.., CharacterVocabulary.Padding] = double.NegativeInfinity;
            logProbabilities[.., CharacterVocabulary.Start] = double.NegativeInfinity;
            var chosen = choose(logProbabilities);
            var picked = logProbabilities.gather(1, chosen.unsqueeze(1)).squeeze(1).to(torch.float64).cpu().data<double>().ToArray();
            var hostChosen = chosen.cpu().data<long>().ToArray();
            var sources = hostChosen.Contains(CharacterVocabulary.Unknown) ? step.UnknownSource.cpu().data<long>().ToArray() : null;
            for (var row = 0; row < rows; row++)
            {
                if (finished[row] || stuck[row]) continue;
                if (double.IsNegativeInfinity(picked[row]))
                {
                    stuck[row] = true;
                    continue;
                }
                scores[row] += picked[row];
                if (hostChosen[row] == CharacterVocabulary.End) finished[row] = true;
                else
                {
                    ids[row].Add((int)hostChosen[row]);
                    if (hostChosen[row] == CharacterVocabulary.Unknown) unknownSources[row].Add((int)sources![row]);
                }
            }
            state = step.State;
            previous = chosen;
            stepScope.MoveToOuter(state.Hidden, state.Cell, previous);
        }
        return Enumerable.Range(0, rows).Select(row => new DecodedTitle(ids[row].ToArray(), unknownSources[row].ToArray(), scores[row], finished[row])).ToArray();
    }
}

/// <summary>Greedy decoding: the most likely next character at each step, all articles batched.</summary>
public static class GreedyDecoding
{
    /// <summary>
    /// The greedy title of each article (ids as for <see cref="TitleGeneration.Encode"/>): the end token is forbidden
    /// before <see cref="GreedyOptions.MinLength"/> characters and a title stops unfinished at
    /// <see cref="GreedyOptions.MaxLength"/>. Rows do not influence each other.
    /// </summary>
    public static DecodedTitle[] Decode(TitleModelParams parameters, IReadOnlyList<int[]> articles, GreedyOptions options)
    {
        DecodingChecks.Lengths(options.MinLength, options.MaxLength);
        DecodingChecks.NoRepeatNgram(options.NoRepeatNgram);
        return TitleGeneration.StepLoop(parameters, articles, options.MinLength, options.MaxLength, options.NoRepeatNgram, logProbabilities => logProbabilities.argmax(1));
    }
}

/// <summary>Sampling: each next character drawn from the model's distribution after temperature, top-k and top-p.</summary>
public static class TitleSampling
{
    /// <summary>The logit of a character that cannot be drawn.</summary>
    static readonly Scalar Excluded = double.NegativeInfinity.ToScalar();

    /// <summary>
    /// A sampled title for each article; the draws come from <paramref name="generator"/> only, so a seeded
    /// generator gives the same titles. The score is the model's own log-probability of the drawn characters.
    /// </summary>
    public static DecodedTitle[] Decode(TitleModelParams parameters, IReadOnlyList<int[]> articles, SamplingOptions options, torch.Generator generator)
    {
        options.Validate();
        // Held for the whole decoding (the step loop runs inside this call), not made at every step.
        using var temperature = options.Temperature.ToScalar();
        using var topP = options.TopP.ToScalar();
        return TitleGeneration.StepLoop(parameters, articles, options.MinLength, options.MaxLength, options.NoRepeatNgram, logProbabilities =>
        {
            var logits = logProbabilities.div(temperature);
            if (options.TopK > 0 && options.TopK < logits.shape[1])
            {
                var threshold = logits.topk(options.TopK, 1).values.narrow(1, options.TopK - 1, 1);
                logits = logits.masked_fill(logits.lt(threshold), Excluded);
            }
            if (options.TopP < 1)
            {
                var (sorted, order) = logits.sort(1, descending: true);
                var cumulative = sorted.softmax(1).cumsum(1);
                // Drop a character when the more likely ones already reach p (the most likely one always stays).
                var drop = (cumulative - sorted.softmax(1)).ge(topP);
                logits = logits.scatter(1, order, sorted.masked_fill(drop, Excluded));
            }
            // A row with every character forbidden draws from a uniform stand-in; the step loop then stops it (its pick is −∞).
            var dead = logits.eq(Excluded).all(1, keepdim: true);
            var probabilities = logits.masked_fill(dead, Scalars.Zero).softmax(1).cpu();
            return torch.multinomial(probabilities, 1, generator: generator).squeeze(1).to(logProbabilities.device);
        });
    }
}
