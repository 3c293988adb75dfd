using Functional.Core;
using Functional.Models.Text;
using TorchSharp;

namespace Functional.Models.Titles.UniLm;

/// <summary>The article side after the transformer: what copying reads at every title position.</summary>
/// <param name="Memory">[batch, articleLength, width]: the last layer's outputs at the article positions (zeros at padding).</param>
/// <param name="Mask">Bool [batch, articleLength]: true at real characters.</param>
/// <param name="Ids">Int64 [batch, articleLength]: the article's ids, <see cref="CharacterVocabulary.Padding"/> at padding.</param>
/// <param name="Prior">[batch, vocabulary]: the copy prior, scale · present + bias.</param>
public sealed record UniLmArticle(torch.Tensor Memory, torch.Tensor Mask, torch.Tensor Ids, torch.Tensor Prior)
{
    /// <summary>The rows <paramref name="rows"/> (int64 [n]) of every field (fresh tensors).</summary>
    public UniLmArticle Select(torch.Tensor rows) =>
        new(Memory.index_select(0, rows), Mask.index_select(0, rows), Ids.index_select(0, rows), Prior.index_select(0, rows));
}

/// <summary>
/// The UniLM title model's forward pass: one transformer over "article [SEP] title" under the prefix-LM mask
/// (<see cref="UniLmMask"/>), tied character embedding, rotary positions, and the LSTM model's copying: at each title
/// position, with copy attention a over the article's outputs, the writing distribution
/// softmax((tied logits + prior) / 2) and g = sigmoid(gate([output, context])), the next character's probability is
/// g · writing + (1 − g) · (a summed per article character); g is 1 for an empty article.
/// </summary>
public static class UniLmForward
{
    /// <summary>
    /// The probabilities [batch, titleLength, vocabulary] of every next character for the decoder inputs
    /// <paramref name="input"/> (int64 [batch, titleLength], start then title, padding 0) after the articles
    /// <paramref name="article"/> (int64 [batch, articleLength], padding 0), not floored; padded title positions hold
    /// unspecified values. With <paramref name="training"/>, dropout of <paramref name="dropout"/> (embeddings) and the
    /// blocks' own is drawn from <paramref name="generator"/>. Pure.
    /// </summary>
    public static torch.Tensor Probabilities(UniLmParams parameters, torch.Tensor article, torch.Tensor input, bool training, double dropout, torch.Generator generator) =>
        Memory.Scoped(() => Full(parameters, article, input, training, dropout, generator).Probabilities);

    /// <summary>The copy attention [batch, titleLength, articleLength] of <see cref="Probabilities"/> (evaluation mode). Pure.</summary>
    public static torch.Tensor CopyWeights(UniLmParams parameters, torch.Tensor article, torch.Tensor input) =>
        Memory.Scoped(() => Full(parameters, article, input, false, 0, Unused).Weights);

    static readonly torch.Generator Unused = new(0);

    static (torch.Tensor Probabilities, torch.Tensor Weights) Full(UniLmParams parameters, torch.Tensor article, torch.Tensor input, bool training, double dropout, torch.Generator generator)
        {
            var articleMask = article.ne(TitleEncoder.PaddingId);
            var titleMask = input.ne(TitleEncoder.PaddingId);
            var articleLength = article.shape[1];
            var x = Embed(parameters, torch.cat([article, input], 1), torch.cat([torch.zeros_like(article), torch.ones_like(input)], 1));
            var mask = torch.cat([articleMask, titleMask], 1);
            x = x.masked_fill(mask.logical_not().unsqueeze(-1), Scalars.Zero);
            if (dropout > 0) x = Dropout.Apply(x, dropout, training, generator);
            var output = TransformerStack.Apply(parameters.Stack, new MaskedSequence(x, mask), UniLmMask.Allowed(articleMask, titleMask), UniLmMask.Positions(articleMask, titleMask), training, generator).Values;
            var prepared = Article(parameters, output.narrow(1, 0, articleLength), articleMask, article);
            return Mixture(parameters, prepared, output.narrow(1, articleLength, input.shape[1]));
        }

    /// <summary>Character plus segment embeddings [..., width] of <paramref name="ids"/> and <paramref name="segments"/> (0 article, 1 title).</summary>
    internal static torch.Tensor Embed(UniLmParams parameters, torch.Tensor ids, torch.Tensor segments) =>
        Embedding.Apply(parameters.Embedding, ids).add(Embedding.Apply(parameters.Segments, segments), Scalars.One);

    /// <summary>The article's outputs <paramref name="memory"/> with what copying reads beside them (real ids, copy prior). Pure.</summary>
    internal static UniLmArticle Article(UniLmParams parameters, torch.Tensor memory, torch.Tensor mask, torch.Tensor ids)
    {
        var realIds = ids.to(torch.int64).masked_fill(mask.logical_not(), TitleEncoder.PaddingId);
        var present = TitleEncoder.Present(realIds, parameters.CopyPrior.Scale.shape[0], parameters.CopyPrior.Scale.dtype);
        var prior = present.mul(parameters.CopyPrior.Scale).add(parameters.CopyPrior.Bias, Scalars.One);
        return new UniLmArticle(memory, mask, realIds, prior);
    }

    /// <summary>
    /// From title outputs <paramref name="states"/> [batch, T, width] to the next character's probabilities [batch, T,
    /// vocabulary] and the copy attention [batch, T, articleLength] (see the class). Rows of <paramref name="article"/>
    /// match rows of the states. Pure.
    /// </summary>
    internal static (torch.Tensor Probabilities, torch.Tensor Weights) Mixture(UniLmParams parameters, UniLmArticle article, torch.Tensor states)
    {
        var width = states.shape[2];
        using var root = Math.Sqrt(width).ToScalar();
        using var lowest = torch.finfo(states.dtype).min.ToScalar();
        var query = Linear.Apply(parameters.CopyQuery, states);
        var scores = query.matmul(article.Memory.transpose(1, 2)).div(root).masked_fill(article.Mask.logical_not().unsqueeze(1), lowest);
        var weights = scores.softmax(-1);
        var context = weights.matmul(article.Memory);
        var logits = states.matmul(parameters.Embedding.Weight.t()).div(root);
        var writing = logits.add(article.Prior.unsqueeze(1), Scalars.One).div(Scalars.Two).softmax(-1);
        // An empty article has nothing to copy: its rows write with probability 1, so every distribution sums to 1.
        var write = Linear.Apply(parameters.CopyGate, torch.cat([states, context], 2)).sigmoid().masked_fill(article.Mask.any(1).logical_not().view(-1, 1, 1), Scalars.One);
        var targets = article.Ids.unsqueeze(1).expand(-1, states.shape[1], -1);
        var copying = torch.zeros_like(writing).scatter_add(2, targets, weights);
        var copy = write.neg().add(Scalars.One, Scalars.One);   // 1 - write
        return (write.mul(writing).add(copy.mul(copying), Scalars.One), weights);
    }
}
