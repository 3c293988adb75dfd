using Functional.Core;
using Functional.Models.Text;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>What one decoding step returns.</summary>
/// <param name="LogProbabilities">[batch, vocabulary]: the log-probabilities of the next character.</param>
/// <param name="State">The decoder LSTM state after reading the given characters.</param>
/// <param name="UnknownSource">int64 [batch]: per row, the article position that this step's attention weighs most among
/// the positions holding <see cref="CharacterVocabulary.Unknown"/> (the first on ties), or -1 when the row's article has
/// none: where an Unknown written at this step was copied from (UNK replacement by attention).</param>
public sealed record DecoderStepResult(torch.Tensor LogProbabilities, LstmState State, torch.Tensor UnknownSource);

/// <summary>
/// The title side of the model, a pointer-generator: decoder LSTM over the title so far, attention of its states over
/// the article memory (masked), features [state, context, summary], output layer with the copy prior averaged into
/// its logits (the writing distribution), and a gate that mixes writing with copying, which puts the attention
/// weights on the article's characters. The full (teacher-forced) form runs the fused <see cref="Lstm.Apply"/>; the
/// incremental form runs <see cref="LstmStep"/> with the state cached; both share <see cref="Mixture"/> and take
/// the logarithm of its probabilities floored at <see cref="Floor"/>, so they give the same numbers.
/// </summary>
public static class TitleDecoder
{
    /// <summary>The capture name of the attention weights [batch, titleLength, articleLength].</summary>
    public const string AttentionCapture = "attention";

    /// <summary>The capture name of the probability of writing from the vocabulary (not copying) [batch, titleLength].</summary>
    public const string WriteProbabilityCapture = "write-probability";

    /// <summary>Probabilities are floored here before the logarithm, so a character neither written nor copied costs about 27.6 nats, not infinity.</summary>
    internal const double Floor = 1e-12;

    /// <summary><see cref="Floor"/> as a Scalar that lives for the process (see <see cref="Scalars"/>).</summary>
    internal static readonly Scalar FloorScalar = Floor.ToScalar();

    /// <summary>The slope of the hidden layer's leaky ReLU for negative inputs.</summary>
    static readonly Scalar HiddenSlope = 0.2.ToScalar();

    /// <summary><see cref="CharacterVocabulary.Unknown"/> as a Scalar that lives for the process.</summary>
    static readonly Scalar UnknownId = ((long)CharacterVocabulary.Unknown).ToScalar();

    /// <summary>Passed where dropout is off (evaluation), so no draw is ever taken from it.</summary>
    static readonly torch.Generator Unused = new(0);

    /// <summary>
    /// The log-probabilities [batch, length, vocabulary] of every next character for the decoder inputs
    /// <paramref name="input"/> (int64 [batch, length], start then title, <see cref="CharacterVocabulary.Padding"/> =
    /// padding) given <paramref name="article"/>; padded positions give zeros. Records the attention weights under
    /// <see cref="AttentionCapture"/> and the write probability under <see cref="WriteProbabilityCapture"/>. Pure.
    /// </summary>
    public static torch.Tensor Apply(TitleModelParams parameters, EncodedArticle article, torch.Tensor input, bool training, double dropout, torch.Generator generator, Capture capture) =>
        Memory.Scoped(() =>
        {
            var probabilities = Probabilities(parameters, article, input, training, dropout, generator, capture);
            return probabilities.clamp_min(FloorScalar).log().masked_fill(input.eq(TitleEncoder.PaddingId).unsqueeze(-1), Scalars.Zero);
        });

    /// <summary>
    /// The form <see cref="Apply"/> and the loss share: the probabilities [batch, length, vocabulary] of every next
    /// character, not floored, with unspecified values at padded positions (the caller selects the real ones).
    /// </summary>
    internal static torch.Tensor Probabilities(TitleModelParams parameters, EncodedArticle article, torch.Tensor input, bool training, double dropout, torch.Generator generator, Capture capture)
    {
        var embedded = MaskedEmbedding.Apply(parameters.Embedding, input);
        var values = dropout > 0 ? Dropout.Apply(embedded.Values, dropout, training, generator) : embedded.Values;
        var states = Lstm.Apply(parameters.Decoder, values, embedded.Mask).Output.Values;
        return Mixture(parameters, article, states, embedded.Mask, training, dropout, generator, capture);
    }

    /// <summary>
    /// One step for every row: reads the previous characters <paramref name="previous"/> (int64 [batch]) from
    /// <paramref name="state"/> and returns the next character's log-probabilities and the new state. Rows of
    /// <paramref name="article"/> match rows of <paramref name="previous"/>. Pure; evaluation mode (no dropout). The
    /// reference form, written as the full form is; decoding runs <see cref="IncrementalDecoder.Step"/>, which equals
    /// it up to float rounding with the per-article work done once.
    /// </summary>
    public static DecoderStepResult Step(TitleModelParams parameters, EncodedArticle article, torch.Tensor previous, LstmState state) =>
        Memory.Scoped(() =>
        {
            using var noGradient = torch.no_grad();
            using var capture = Capture.Of(AttentionCapture);
            var embedded = Embedding.Apply(parameters.Embedding, previous);
            var step = LstmStep.Apply(parameters.Decoder, embedded, state);
            var mask = torch.ones([previous.shape[0], 1], dtype: torch.@bool, device: previous.device);
            var logProbabilities = Mixture(parameters, article, step.Output.unsqueeze(1), mask, false, 0, Unused, capture).squeeze(1).clamp_min(FloorScalar).log();
            var source = MostAttendedUnknown(capture[AttentionCapture].squeeze(1), KnownPositions(article.Ids));
            return new DecoderStepResult(logProbabilities, step.State, source);
        });

    /// <summary>bool [rows, length]: false exactly where the article ids <paramref name="ids"/> are <see cref="CharacterVocabulary.Unknown"/>. Pure.</summary>
    internal static torch.Tensor KnownPositions(torch.Tensor ids) => ids.ne(UnknownId);

    /// <summary>
    /// int64 [rows]: per row, the position of the largest of the attention weights <paramref name="weights"/> [rows,
    /// length] (each at least 0) among the positions where <paramref name="known"/> [rows, length] is false (the first
    /// on ties), or -1 where every position is known. Pure.
    /// </summary>
    internal static torch.Tensor MostAttendedUnknown(torch.Tensor weights, torch.Tensor known)
    {
        var (most, position) = weights.masked_fill(known, Scalars.MinusOne).max(1);
        return position.masked_fill_(most.lt(Scalars.Zero), Scalars.MinusOne);
    }

    /// <summary>The decoder state before the first step: zeros, as the full form starts from.</summary>
    public static LstmState InitialState(TitleModelParams parameters, long batch) => LstmStep.Zeros(parameters.Decoder, batch);

    /// <summary>
    /// From decoder states [batch, length, decoderHidden] with their mask to probabilities [batch, length,
    /// vocabulary]: with attention weights a over the memory, features f = [state, context, summary], the writing
    /// distribution softmax((output(f) + prior) / 2) and g = sigmoid(gate(f)), the next character's probability is
    /// g · writing + (1 − g) · (the attention weights summed per article character); g is 1 for an empty article.
    /// </summary>
    static torch.Tensor Mixture(TitleModelParams parameters, EncodedArticle article, torch.Tensor states, torch.Tensor mask, bool training, double dropout, torch.Generator generator, Capture capture)
    {
        var query = Linear.Apply(parameters.AttentionQuery, states);
        var attention = Attention.ScaledDotProduct(query, mask, article.Memory, article.Memory, article.Mask, causal: false);
        capture.Record(AttentionCapture, attention.Weights);
        var summary = article.Summary.unsqueeze(1).expand(-1, states.shape[1], -1);
        var features = torch.cat([states, attention.Output.Values, summary], 2);
        var hidden = Linear.Apply(parameters.Hidden, features).leaky_relu(HiddenSlope);
        if (dropout > 0) hidden = Dropout.Apply(hidden, dropout, training, generator);
        var writing = Linear.Apply(parameters.Output, hidden).add(article.Prior.unsqueeze(1), Scalars.One).div(Scalars.Two).softmax(-1);
        // An empty article has nothing to copy: its rows write with probability 1, so every distribution sums to 1.
        var write = Linear.Apply(parameters.CopyGate, features).sigmoid().masked_fill(article.Mask.any(1).logical_not().view(-1, 1, 1), Scalars.One);
        capture.Record(WriteProbabilityCapture, write.squeeze(-1));
        var targets = article.Ids.unsqueeze(1).expand(-1, states.shape[1], -1);
        var copying = torch.zeros_like(writing).scatter_add(2, targets, attention.Weights);
        var copy = write.neg().add(Scalars.One, Scalars.One);   // 1 - write
        return write.mul(writing).add(copy.mul(copying), Scalars.One);
    }
}
