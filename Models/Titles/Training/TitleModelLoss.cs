using TorchSharp;
using Functional.Core;
using Functional.Training;

namespace Functional.Models.Titles;

/// <summary>The title model as the training API sees it: a <see cref="ModelLoss{TParams, TModelState, TBatch}"/> with token accuracy as a metric.</summary>
public static class TitleModelLoss
{
    /// <summary>The metric name of the teacher-forced token accuracy.</summary>
    public const string AccuracyName = "accuracy";

    /// <summary>
    /// <see cref="TitleLoss.Apply(TitleModelParams, TitleBatch, TitleModelOptions, bool, torch.Generator, Core.Capture, double)"/> under the model's <paramref name="options"/> (dropout in training steps, from the
    /// context's generator; attention weights offered to the context's capture), reporting the accuracy beside the loss.
    /// </summary>
    public static ModelLoss<TitleModelParams, NoState, TitleBatch> Of(TitleModelOptions options) => Of(options, labelSmoothing: 0);

    /// <summary>As <see cref="Of(TitleModelOptions)"/>, training with label smoothing <paramref name="labelSmoothing"/> (see <see cref="TitleLoss"/>).</summary>
    public static ModelLoss<TitleModelParams, NoState, TitleBatch> Of(TitleModelOptions options, double labelSmoothing) => (parameters, batch, context) =>
    {
        var result = TitleLoss.Apply(parameters, batch, options, context.Training, context.Generator, context.Capture, labelSmoothing);
        return new ModelOutput(result.Loss, new Dictionary<string, torch.Tensor> { [AccuracyName] = result.Accuracy });
    };
}
