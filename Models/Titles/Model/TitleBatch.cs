using Functional.Core;
using TorchSharp;
using Functional.Models.Text;
using Functional.Training;

namespace Functional.Models.Titles;

/// <summary>A padded batch of (article, title) pairs as the title model reads it.</summary>
/// <param name="Article">int64 [batch, articleLength]: article ids, padded with <see cref="CharacterVocabulary.Padding"/>.</param>
/// <param name="ArticleMask">bool [batch, articleLength]: true at real characters.</param>
/// <param name="DecoderInput">int64 [batch, titleLength + 1]: <see cref="CharacterVocabulary.Start"/> then the title, padded.</param>
/// <param name="Target">int64 [batch, titleLength + 1]: the title then <see cref="CharacterVocabulary.End"/>, padded.</param>
/// <param name="TargetMask">bool [batch, titleLength + 1]: true at the real target tokens (the title and its end).</param>
public sealed record TitleBatch(torch.Tensor Article, torch.Tensor ArticleMask, torch.Tensor DecoderInput, torch.Tensor Target, torch.Tensor TargetMask) : IDisposable
{
    /// <summary>
    /// This batch on <paramref name="device"/>: itself when its tensors are already on that kind of device, else fresh
    /// copies there (this batch is left as it is; the caller releases both).
    /// </summary>
    public TitleBatch To(torch.Device device) =>
        Article.device_type == device.type ? this : new(Article.to(device), ArticleMask.to(device), DecoderInput.to(device), Target.to(device), TargetMask.to(device));

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var tensor in new[] { Article, ArticleMask, DecoderInput, Target, TargetMask }) tensor.Dispose();
    }
}

/// <summary>An article and title as ids: what a batch is collated from.</summary>
/// <param name="Article">Article ids, cut to the maximum article length.</param>
/// <param name="Title">Title ids, cut to the maximum title length (no start or end).</param>
public sealed record EncodedTitlePair(int[] Article, int[] Title);

/// <summary>Turns text pairs into ids and id pairs into batches.</summary>
public static class TitleBatches
{
    /// <summary>
    /// The ids of <paramref name="pair"/> under <paramref name="vocabulary"/>: the article cut to
    /// <see cref="TitleModelOptions.MaxArticleLength"/> characters and the title to <see cref="TitleModelOptions.MaxTitleLength"/>.
    /// </summary>
    public static EncodedTitlePair Encode(TitlePair pair, CharacterVocabulary vocabulary, TitleModelOptions options) =>
        new(vocabulary.Encode(pair.Content).Take(options.MaxArticleLength).ToArray(), vocabulary.Encode(pair.Title).Take(options.MaxTitleLength).ToArray());

    /// <summary>
    /// The batch of <paramref name="pairs"/> (on the CPU): articles padded to the longest (at least
    /// <paramref name="minimumArticleLength"/>), decoder inputs start + title and targets title + end, padded to the longest title + 1.
    /// </summary>
    /// <exception cref="ArgumentException">There are no pairs.</exception>
    public static TitleBatch Collate(IReadOnlyList<EncodedTitlePair> pairs, int minimumArticleLength)
    {
        if (pairs.Count == 0) throw new ArgumentException("A title batch needs at least one pair.", nameof(pairs));
        using var articles = PaddedSequences.Collate(pairs.Select(p => p.Article).ToArray(), CharacterVocabulary.Padding, minimumArticleLength);
        using var inputs = PaddedSequences.Collate(pairs.Select(p => (int[])[CharacterVocabulary.Start, .. p.Title]).ToArray(), CharacterVocabulary.Padding, 1);
        using var targets = PaddedSequences.Collate(pairs.Select(p => (int[])[.. p.Title, CharacterVocabulary.End]).ToArray(), CharacterVocabulary.Padding, 1);
        return new TitleBatch(articles.Ids.alias(), articles.Mask.alias(), inputs.Ids.alias(), targets.Ids.alias(), targets.Mask.alias());
    }

    /// <summary>The batches of one epoch: length-bucketed (<see cref="BatchPlan.Bucketed"/>), as index lists into <paramref name="pairs"/>.</summary>
    public static IReadOnlyList<int[]> Plan(IReadOnlyList<EncodedTitlePair> pairs, int batchSize, int seed, int epoch) =>
        BatchPlan.Bucketed(pairs.Select(p => p.Article.Length).ToArray(), batchSize, 20, seed, epoch);
}
