using Functional.Core;
using TorchSharp;
using Functional.Models.Text;

namespace Functional.Models.Titles;

/// <summary>What the encoder hands to the decoder: everything about the article the decoder reads at each step.</summary>
/// <param name="Memory">[batch, articleLength, 2·encoderHidden]: the encoder outputs, zeros at padding.</param>
/// <param name="Mask">bool [batch, articleLength]: true at real characters.</param>
/// <param name="Summary">[batch, 2·encoderHidden]: the masked max-pool of the memory (zeros for an empty article).</param>
/// <param name="Prior">[batch, vocabulary]: the copy prior, scale · present + bias.</param>
/// <param name="Ids">int64 [batch, articleLength]: the article's ids, <see cref="CharacterVocabulary.Padding"/> at padding (where copying puts its attention).</param>
public sealed record EncodedArticle(torch.Tensor Memory, torch.Tensor Mask, torch.Tensor Summary, torch.Tensor Prior, torch.Tensor Ids)
{
    /// <summary>The rows <paramref name="rows"/> (int64 [n]) of every field, in that order (fresh tensors).</summary>
    public EncodedArticle Select(torch.Tensor rows) =>
        new(Memory.index_select(0, rows), Mask.index_select(0, rows), Summary.index_select(0, rows), Prior.index_select(0, rows), Ids.index_select(0, rows));

    /// <summary>Every field expanded from one article to <paramref name="rows"/> rows (views, no copy).</summary>
    public EncodedArticle Repeat(long rows) =>
        new(Memory.expand(rows, -1, -1), Mask.expand(rows, -1), Summary.expand(rows, -1), Prior.expand(rows, -1), Ids.expand(rows, -1));
}

/// <summary>The article side of the title model: embedding, masked bidirectional LSTM, max-pool summary and copy prior.</summary>
public static class TitleEncoder
{
    /// <summary><see cref="CharacterVocabulary.Padding"/> as a Scalar that lives for the process (see <see cref="Scalars"/>).</summary>
    internal static readonly Scalar PaddingId = CharacterVocabulary.Padding.ToScalar();

    /// <summary>
    /// Encodes <paramref name="article"/> (int64 [batch, length], <see cref="CharacterVocabulary.Padding"/> = padding,
    /// which may sit anywhere). Padding changes nothing real. With <paramref name="training"/>, dropout of
    /// <paramref name="dropout"/> is drawn from <paramref name="generator"/> on the embeddings. Pure; one dispose scope.
    /// </summary>
    /// <exception cref="LayerInputException">Ids out of the vocabulary, or not a rank-2 integer tensor.</exception>
    public static EncodedArticle Apply(TitleModelParams parameters, torch.Tensor article, bool training, double dropout, torch.Generator generator) =>
        Memory.Scoped(() =>
        {
            var embedded = MaskedEmbedding.Apply(parameters.Embedding, article);
            var values = dropout > 0 ? Dropout.Apply(embedded.Values, dropout, training, generator) : embedded.Values;
            return FromEmbedded(parameters, values, embedded.Mask, article);
        });

    /// <summary>
    /// Encodes already embedded characters <paramref name="values"/> [batch, length, embedding] with
    /// <paramref name="mask"/>; <paramref name="ids"/> (integer [batch, length]) are the characters they embed, read
    /// only where the mask is true (the copy prior's presence vector and the copy targets). Pure.
    /// </summary>
    public static EncodedArticle FromEmbedded(TitleModelParams parameters, torch.Tensor values, torch.Tensor mask, torch.Tensor ids) =>
        Memory.Scoped(() =>
        {
            var memory = Lstm.Apply(parameters.Encoder, values, mask).Output.Values;
            var summary = Masks.Max(memory, mask);
            var realIds = ids.to(torch.int64).masked_fill(mask.logical_not(), PaddingId);
            var present = Present(realIds, parameters.CopyPrior.Scale.shape[0], parameters.CopyPrior.Scale.dtype);
            var prior = present.mul(parameters.CopyPrior.Scale).add(parameters.CopyPrior.Bias, Scalars.One);
            return new EncodedArticle(memory, mask.alias(), summary, prior, realIds);
        });

    /// <summary>
    /// [batch, vocabulary] of <paramref name="dtype"/>: 1 where the character occurs among the article's real ids, else 0 (padding, id 0,
    /// never counts).
    /// </summary>
    public static torch.Tensor Present(torch.Tensor article, long vocabulary, torch.ScalarType dtype) =>
        Memory.Scoped(() =>
        {
            var present = torch.zeros([article.shape[0], vocabulary], dtype: dtype, device: article.device);
            present = present.scatter(1, article.to(torch.int64), torch.ones(article.shape, dtype: dtype, device: article.device));
            return present.index_fill(1, torch.tensor(new long[] { CharacterVocabulary.Padding }, device: article.device), Scalars.Zero);
        });
}
