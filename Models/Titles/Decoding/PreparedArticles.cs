using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>
/// What <see cref="IncrementalDecoder.Step"/> reads about the articles, computed once from an <see cref="EncodedArticle"/>
/// by <see cref="IncrementalDecoder.PrepareArticles"/>: the memory already projected by every weight that multiplies it, so a
/// step multiplies only the new decoder state. With H the decoder's hidden width, O the output layer's width and L the
/// article length:
/// </summary>
/// <param name="Keys">[rows, H, L]: the memory projected by the attention query's weight and divided by √(memory width),
/// transposed, so the attention scores of a state s are s · Keys.</param>
/// <param name="KeyBias">[rows, 1, L]: added to the scores: the lowest finite value at padding (its weight underflows to
/// 0), 0 at real characters (plus the query bias's term when the query layer has one).</param>
/// <param name="Values">[rows, L, O + 1]: the memory projected by the context columns of the hidden layer and, in the last
/// column, of the copy gate (zeros at padding), so the attention weights times Values is what the context adds to both.</param>
/// <param name="Constant">[rows, O + 1]: the summary projected by the summary columns of the hidden layer and the gate, plus
/// their biases; the gate column is +∞ for an empty article (it writes with probability 1).</param>
/// <param name="OutputBias">[rows, vocabulary]: (output bias + copy prior) / 2, the constant part of the writing logits.</param>
/// <param name="Ids">int64 [rows, L]: the article's ids, where copying puts the attention weights (padding at padding).</param>
/// <param name="Known">bool [rows, L]: false exactly where <paramref name="Ids"/> is <see cref="Text.CharacterVocabulary.Unknown"/>
/// (the positions an Unknown can be copied from, <see cref="DecoderStepResult.UnknownSource"/>).</param>
public sealed record PreparedArticles(torch.Tensor Keys, torch.Tensor KeyBias, torch.Tensor Values, torch.Tensor Constant, torch.Tensor OutputBias, torch.Tensor Ids, torch.Tensor Known)
{
    /// <summary>The rows <paramref name="rows"/> (int64 [n]) of every field, in that order (fresh tensors).</summary>
    public PreparedArticles Select(torch.Tensor rows) =>
        new(Keys.index_select(0, rows), KeyBias.index_select(0, rows), Values.index_select(0, rows), Constant.index_select(0, rows), OutputBias.index_select(0, rows), Ids.index_select(0, rows), Known.index_select(0, rows));

    /// <summary>Every field expanded from one article to <paramref name="rows"/> rows (views, no copy).</summary>
    public PreparedArticles Repeat(long rows) =>
        new(Keys.expand(rows, -1, -1), KeyBias.expand(rows, -1, -1), Values.expand(rows, -1, -1), Constant.expand(rows, -1), OutputBias.expand(rows, -1), Ids.expand(rows, -1), Known.expand(rows, -1));
}
