using Functional.Core;
using TorchSharp;
using Functional.Training;

namespace Functional.Models.Digits;

/// <summary>
/// A multi-layer perceptron for 28x28 digits that computes its own loss. Its record reuses two library layers
/// as fields (a <see cref="FeedForwardParams"/> block and a <see cref="LinearParams"/> head): nothing to register,
/// and its parameter paths (<c>features/inner/weight</c>, ..., <c>output/bias</c>) come from the field names.
/// </summary>
/// <param name="Features">784 pixels to <c>hidden</c> features, through a hidden layer of the same width.</param>
/// <param name="Output">Features to 10 digit logits.</param>
/// <param name="DropoutRate">The share of features dropped in training.</param>
public sealed record DigitClassifier(FeedForwardParams Features, LinearParams Output, double DropoutRate)
{
    /// <summary>Pixels per image.</summary>
    public const int Pixels = 28 * 28;

    /// <summary>A freshly initialised classifier.</summary>
    public static DigitClassifier Init(torch.Generator generator, int hidden, double dropoutRate, torch.Device device) =>
        new(FeedForward.Init(generator, Pixels, hidden, hidden, Activation.Relu, device),
            Linear.Init(generator, hidden, 10, device),
            dropoutRate);

    /// <summary>Digit logits [batch, 10] for pixels scaled to [0, 1], shape [batch, 784].</summary>
    /// <param name="model">The parameters.</param>
    /// <param name="pixels">float32 [batch, 784].</param>
    /// <param name="training">Whether dropout is active.</param>
    /// <param name="generator">Draws the dropout masks.</param>
    public static torch.Tensor Logits(DigitClassifier model, torch.Tensor pixels, bool training, torch.Generator generator)
    {
        var features = Activations.Relu(FeedForward.Apply(model.Features, pixels));
        return Linear.Apply(model.Output, Dropout.Apply(features, model.DropoutRate, training, generator));
    }

    /// <summary>Mean cross-entropy of the logits against the digits: the loss is part of the model.</summary>
    public static torch.Tensor Loss(DigitClassifier model, torch.Tensor pixels, torch.Tensor digits, bool training, torch.Generator generator) =>
        torch.nn.functional.cross_entropy(Logits(model, pixels, training, generator), digits);

    /// <summary>
    /// The classifier as a <see cref="ModelLoss{TParams, TModelState, TBatch}"/>: the loss is computed inside the model, and the
    /// batch accuracy is reported as the metric <c>accuracy</c>.
    /// </summary>
    public static ModelOutput Model(DigitClassifier model, DigitBatch batch, StepContext context)
    {
        var logits = Logits(model, batch.Pixels, context.Training, context.Generator);
        context.Capture.Record("logits", logits);
        var accuracy = logits.detach().argmax(1).eq(batch.Digits).to(torch.float32).mean();
        return new ModelOutput(torch.nn.functional.cross_entropy(logits, batch.Digits), new Dictionary<string, torch.Tensor> { ["accuracy"] = accuracy });
    }

    /// <summary>The share of <paramref name="digits"/> predicted right, computed without gradients.</summary>
    public static double Accuracy(DigitClassifier model, torch.Tensor pixels, torch.Tensor digits, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        var predicted = Logits(model, pixels, training: false, generator).argmax(1);
        return predicted.eq(digits).to(torch.float64).mean().item<double>();
    }
}
