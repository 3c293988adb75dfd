using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Digits;

/// <summary>
/// Trains <see cref="ConvDigitClassifier"/> as <see cref="MnistTraining"/> trains the perceptron (the same data,
/// batches, optimizer pipeline and checkpoints), with its batch-norm statistics as the model state of the train
/// state: updated by every training step, saved and resumed with the checkpoints, read by validation.
/// </summary>
public static class ConvMnistTraining
{
    /// <summary>
    /// Validation loss and accuracy on <paramref name="validation"/> in batches of 500, normalised with the given model
    /// state's running statistics (which it leaves unchanged).
    /// </summary>
    public static Func<ConvDigitClassifier, ConvDigitStats, IReadOnlyDictionary<string, double>> Validation(DigitBatch validation) =>
        MnistTraining.Validation<ConvDigitClassifier, ConvDigitStats>(ConvDigitClassifier.Model, validation);

    /// <summary>
    /// Trains from a fresh classifier (<see cref="MnistTrainingOptions.ConvChannels"/> wide) and fresh statistics, or from
    /// the newest checkpoint in the run folder (the run then continues exactly where it stopped, statistics included), as
    /// <see cref="MnistTraining.Run(MnistTrainingOptions, RunOptions, FitOptions, IRunGroup, CancellationToken)"/> trains the
    /// perceptron. With a <paramref name="group"/> of several processes each rank normalises with its own shard's
    /// statistics, and the running statistics are averaged over the ranks after every step.
    /// </summary>
    public static FitResult<ConvDigitClassifier, ConvDigitStats> Run(MnistTrainingOptions options, RunOptions run, FitOptions fit, IRunGroup group, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        var network = new DigitNetwork<ConvDigitClassifier, ConvDigitStats>(
            (generator, device) => ConvDigitClassifier.Init(generator, options.ConvChannels, options.DropoutRate, device),
            ConvDigitClassifier.InitStats,
            ConvDigitClassifier.Model);
        return MnistTraining.Run(network, options, run, fit, group, cancellation);
    }
}
