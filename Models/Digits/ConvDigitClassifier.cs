using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Digits;

/// <summary>
/// A small convolutional classifier for 28x28 digits with batch normalisation, computing its own loss:
/// conv 3x3 (1→16) → BatchNorm → ReLU → max-pool 2 → conv 3x3 (16→32) → BatchNorm → ReLU → max-pool 2 → dropout →
/// linear (7·7·32 → 10), channels-last throughout. The convolutions have no bias (the batch norm's shift takes its
/// place) and pad by 1, so only the pools shrink the image (28 → 14 → 7). The batch-norm statistics are model state
/// (<see cref="ConvDigitStats"/>), read from <see cref="StepContext{TModelState}.State"/> and returned as
/// <see cref="ModelOutput{TModelState}.NextState"/> in training.
/// </summary>
/// <param name="FirstConv">1 → <c>channels</c> feature maps.</param>
/// <param name="FirstNorm">Normalises the first maps.</param>
/// <param name="SecondConv"><c>channels</c> → 2·<c>channels</c> feature maps.</param>
/// <param name="SecondNorm">Normalises the second maps.</param>
/// <param name="Output">The flattened 7·7·2·<c>channels</c> features to 10 digit logits.</param>
/// <param name="DropoutRate">The share of features dropped before the output layer in training.</param>
public sealed record ConvDigitClassifier(
    Conv2dParams FirstConv, BatchNormParams FirstNorm, Conv2dParams SecondConv, BatchNormParams SecondNorm, LinearParams Output, double DropoutRate)
{
    /// <summary>The side of an image.</summary>
    public const int Side = 28;

    /// <summary>The max-pool window after each block: 2×2, stride 2 (read by the ONNX export, so both use one window).</summary>
    public static readonly Pool2dWindow Pool = Pool2dWindow.Of(2);

    /// <summary>
    /// A freshly initialised classifier with <paramref name="channels"/> first feature maps (16 in the usual form), as
    /// PyTorch's layers initialise, drawn from <paramref name="generator"/>, on <paramref name="device"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> below 1.</exception>
    public static ConvDigitClassifier Init(torch.Generator generator, int channels, double dropoutRate, torch.Device device)
    {
        Initializers.Positive(channels, nameof(channels));
        var first = Conv2d.Init(generator, 1, channels, 3, device) with { Padding = 1 };
        var second = Conv2d.Init(generator, channels, 2 * channels, 3, device) with { Padding = 1 };
        first.Bias?.Dispose();
        second.Bias?.Dispose();
        return new(first with { Bias = null }, BatchNorm.Init(channels, device), second with { Bias = null }, BatchNorm.Init(2 * channels, device),
            Linear.Init(generator, 7 * 7 * 2 * channels, 10, device), dropoutRate);
    }

    /// <summary>Fresh statistics for <paramref name="model"/> (means 0, variances 1, no batch tracked), on its device.</summary>
    public static ConvDigitStats InitStats(ConvDigitClassifier model)
    {
        var device = model.FirstNorm.Weight.device;
        return new(BatchNorm.InitStats((int)model.FirstNorm.Weight.shape[0], device), BatchNorm.InitStats((int)model.SecondNorm.Weight.shape[0], device));
    }

    /// <summary>The logits and the statistics after this batch.</summary>
    /// <param name="Logits">[batch, 10].</param>
    /// <param name="Stats">In training the updated statistics; in evaluation aliases of the given ones.</param>
    public sealed record Result(torch.Tensor Logits, ConvDigitStats Stats);

    /// <summary>
    /// Digit logits for pixels scaled to [0, 1] (float32 [batch, 784], row by row), normalised with the batch's statistics
    /// and updating <paramref name="stats"/> when <paramref name="training"/>, with the running ones otherwise.
    /// </summary>
    public static Result Logits(ConvDigitClassifier model, ConvDigitStats stats, torch.Tensor pixels, bool training, torch.Generator generator)
    {
        var images = pixels.reshape(-1, Side, Side, 1);
        var first = Block(model.FirstConv, model.FirstNorm, stats.First, images, training);
        var second = Block(model.SecondConv, model.SecondNorm, stats.Second, first.Output, training);
        var features = second.Output.reshape(second.Output.shape[0], -1);
        var logits = Linear.Apply(model.Output, Dropout.Apply(features, model.DropoutRate, training, generator));
        return new(logits, new ConvDigitStats(first.Stats, second.Stats));
    }

    /// <summary>Convolution, batch norm, ReLU, 2x2 max-pool.</summary>
    static BatchNormOutput Block(Conv2dParams conv, BatchNormParams norm, BatchNormStats stats, torch.Tensor x, bool training)
    {
        var normalised = BatchNorm.Apply(norm, stats, Conv2d.Apply(conv, x), training);
        return normalised with { Output = Pooling2d.Max(Pool, Activations.Relu(normalised.Output)) };
    }

    /// <summary>
    /// The classifier as a <see cref="ModelLoss{TParams, TModelState, TBatch}"/>: mean cross-entropy computed inside the model, the
    /// batch accuracy as the metric <c>accuracy</c>, the statistics read from <see cref="StepContext{TModelState}.State"/>
    /// (a <see cref="ConvDigitStats"/>) and, in training, the updated ones returned as the next state.
    /// </summary>
    public static ModelOutput<ConvDigitStats> Model(ConvDigitClassifier model, DigitBatch batch, StepContext<ConvDigitStats> context)
    {
        var result = Logits(model, context.State, batch.Pixels, context.Training, context.Generator);
        context.Capture.Record("logits", result.Logits);
        var accuracy = result.Logits.detach().argmax(1).eq(batch.Digits).to(torch.float32).mean();
        return new ModelOutput<ConvDigitStats>(torch.nn.functional.cross_entropy(result.Logits, batch.Digits), new Dictionary<string, torch.Tensor> { ["accuracy"] = accuracy })
        {
            NextState = context.Training ? result.Stats : null,
        };
    }
}
