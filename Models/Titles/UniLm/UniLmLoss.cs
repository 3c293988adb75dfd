using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Titles.UniLm;

/// <summary>The UniLM's training objective: masked cross-entropy of the teacher-forced title, as <see cref="TitleLoss"/>.</summary>
public static class UniLmLoss
{
    /// <summary>
    /// Runs <see cref="UniLmForward.Probabilities"/> on the batch's articles and decoder inputs and returns the masked
    /// cross-entropy against title + end (padding counts for nothing) and the token accuracy; with
    /// <paramref name="labelSmoothing"/> in training, as <see cref="TitleLoss"/>'s. Pure; one dispose scope.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1).</exception>
    public static TitleLossResult Apply(UniLmParams parameters, TitleBatch batch, TitleModelOptions options, bool training, torch.Generator generator, double labelSmoothing)
    {
        if (labelSmoothing is < 0 or >= 1 || double.IsNaN(labelSmoothing))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        return Memory.Scoped(() =>
        {
            var probabilities = UniLmForward.Probabilities(parameters, batch.Article, batch.DecoderInput, training, options.Dropout, generator);
            var logProbabilities = Masks.RealRows(probabilities, batch.TargetMask).clamp_min(TitleDecoder.FloorScalar).log();
            var targets = Masks.RealRows(batch.Target, batch.TargetMask).to(torch.int64);
            var count = batch.TargetMask.sum().to(logProbabilities.dtype).clamp_min(Scalars.One);
            var loss = logProbabilities.gather(1, targets.unsqueeze(1)).sum().div(count).neg();
            if (training && labelSmoothing > 0)
            {
                using var kept = (1 - labelSmoothing).ToScalar();
                using var spread = labelSmoothing.ToScalar();
                var uniform = logProbabilities.mean([-1]).sum().div(count).neg();
                loss = loss.mul(kept).add(uniform.mul(spread), Scalars.One);
            }
            using var noGradient = torch.no_grad();
            var accuracy = logProbabilities.argmax(-1).eq(targets).sum().to(logProbabilities.dtype).div(count);
            return new TitleLossResult(loss, accuracy);
        });
    }

    /// <summary>The UniLM as the training API sees it: the loss, with the token accuracy as a metric (<see cref="TitleModelLoss.AccuracyName"/>).</summary>
    public static ModelLoss<UniLmParams, NoState, TitleBatch> Of(TitleModelOptions options, double labelSmoothing) => (parameters, batch, context) =>
    {
        var result = Apply(parameters, batch, options, context.Training, context.Generator, labelSmoothing);
        return new ModelOutput(result.Loss, new Dictionary<string, torch.Tensor> { [TitleModelLoss.AccuracyName] = result.Accuracy });
    };
}
