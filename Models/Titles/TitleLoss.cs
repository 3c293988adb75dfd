using Functional.Core;
using TorchSharp;

namespace Functional.Models;

/// <summary>The loss of a batch and the metrics computed beside it.</summary>
/// <param name="Loss">Scalar: the mean cross-entropy over the real target tokens (title and end).</param>
/// <param name="Accuracy">Scalar, no gradient: the share of real target tokens whose most likely character is right.</param>
public sealed record TitleLossResult(torch.Tensor Loss, torch.Tensor Accuracy);

/// <summary>The training objective, computed inside the model: masked cross-entropy of the teacher-forced title.</summary>
public static class TitleLoss
{
    /// <summary>
    /// Encodes the batch's articles, runs the decoder on start + title and returns the masked cross-entropy against
    /// title + end (padding counts for nothing) and the token accuracy. With <paramref name="training"/>, dropout of
    /// <see cref="TitleModelOptions.Dropout"/> is drawn from <paramref name="generator"/>. Records the attention
    /// weights into <paramref name="capture"/>. Pure; one dispose scope.
    /// </summary>
    public static TitleLossResult Apply(TitleModelParams parameters, TitleBatch batch, TitleModelOptions options, bool training, torch.Generator generator, Capture capture) =>
        Memory.Scoped(() =>
        {
            var article = TitleEncoder.Apply(parameters, batch.Article, training, options.Dropout, generator);
            var logProbabilities = TitleDecoder.Apply(parameters, article, batch.DecoderInput, training, options.Dropout, generator, capture);
            return new TitleLossResult(NegativeLogLikelihood(logProbabilities, batch.Target, batch.TargetMask), Masks.Accuracy(logProbabilities, batch.Target, batch.TargetMask));
        });

    /// <summary>
    /// The mean over real target tokens (<paramref name="mask"/>) of −log p(target), from
    /// <paramref name="logProbabilities"/> [batch, length, vocabulary]; targets at padding are never read.
    /// </summary>
    static torch.Tensor NegativeLogLikelihood(torch.Tensor logProbabilities, torch.Tensor targets, torch.Tensor mask)
    {
        var picked = logProbabilities.gather(-1, targets.masked_fill(mask.logical_not(), 0).unsqueeze(-1)).squeeze(-1);
        return -(picked.masked_fill(mask.logical_not(), 0).sum() / mask.sum().to(picked.dtype).clamp_min(1));
    }
}
