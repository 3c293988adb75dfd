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
        Apply(parameters, batch, options, training, generator, capture, labelSmoothing: 0);

    /// <summary>
    /// As <see cref="Apply(TitleModelParams, TitleBatch, TitleModelOptions, bool, torch.Generator, Capture)"/>, with label
    /// smoothing in training: the loss is <c>(1 - ε) · CE(target) + ε · mean over the vocabulary of CE(character)</c>, the
    /// cross-entropy against a target that puts <c>ε</c> evenly on every character (of the model's output distribution,
    /// copy included). Evaluation (<paramref name="training"/> false) always reports the plain cross-entropy, so validation
    /// losses compare across settings. <paramref name="labelSmoothing"/> 0 gives exactly the plain loss.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1).</exception>
    public static TitleLossResult Apply(TitleModelParams parameters, TitleBatch batch, TitleModelOptions options, bool training, torch.Generator generator, Capture capture, double labelSmoothing)
    {
        if (labelSmoothing is < 0 or >= 1 || double.IsNaN(labelSmoothing))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        return Memory.Scoped(() =>
        {
            var article = TitleEncoder.Apply(parameters, batch.Article, training, options.Dropout, generator);
            // Only the real target positions are floored, logged and scored (what the loss reads; padding is skipped).
            var probabilities = TitleDecoder.Probabilities(parameters, article, batch.DecoderInput, training, options.Dropout, generator, capture);
            var logProbabilities = Masks.RealRows(probabilities, batch.TargetMask).clamp_min(TitleDecoder.FloorScalar).log();
            var targets = Masks.RealRows(batch.Target, batch.TargetMask).to(torch.int64);
            var count = batch.TargetMask.sum().to(logProbabilities.dtype).clamp_min(Scalars.One);
            var loss = -(logProbabilities.gather(1, targets.unsqueeze(1)).sum() / count);
            if (training && labelSmoothing > 0)
            {
                using var kept = (1 - labelSmoothing).ToScalar();
                using var spread = labelSmoothing.ToScalar();
                var uniform = -(logProbabilities.mean([-1]).sum() / count);
                loss = loss.mul(kept).add(uniform.mul(spread), Scalars.One);
            }
            using var noGradient = torch.no_grad();
            var accuracy = logProbabilities.argmax(-1).eq(targets).sum().to(logProbabilities.dtype) / count;
            return new TitleLossResult(loss, accuracy);
        });
    }
}
