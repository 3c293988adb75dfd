using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles;

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
            // Only the real target positions are floored, logged and scored (what the loss reads; padding is skipped).
            var probabilities = TitleDecoder.Probabilities(parameters, article, batch.DecoderInput, training, options.Dropout, generator, capture);
            var logProbabilities = Masks.RealRows(probabilities, batch.TargetMask).clamp_min(TitleDecoder.FloorScalar).log();
            var targets = Masks.RealRows(batch.Target, batch.TargetMask).to(torch.int64);
            var count = batch.TargetMask.sum().to(logProbabilities.dtype).clamp_min(Scalars.One);
            var loss = -(logProbabilities.gather(1, targets.unsqueeze(1)).sum() / count);
            using var noGradient = torch.no_grad();
            var accuracy = logProbabilities.argmax(-1).eq(targets).sum().to(logProbabilities.dtype) / count;
            return new TitleLossResult(loss, accuracy);
        });
}
