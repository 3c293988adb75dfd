using TorchSharp;

namespace Functional.Models;

/// <summary>The classifier that scores GAN samples and its held-out accuracy.</summary>
/// <param name="Classifier">The weights used for scoring (the EMA weights of its training run).</param>
/// <param name="ValidationAccuracy">Its accuracy on the 1,000 held-out MNIST t10k digits.</param>
public sealed record ScoringClassifier(DigitClassifier Classifier, double ValidationAccuracy);

/// <summary>
/// The digit classifier that scores GAN samples, kept as the checkpoints of its training run (the format of
/// <c>mnist train</c>, so <c>--classifier runs/mnist/checkpoints</c> reuses one): trained there with
/// <see cref="MnistTraining"/> if the folder has no finished run, loaded otherwise.
/// </summary>
public static class ClassifierFile
{
    /// <summary>
    /// The classifier of the run in <paramref name="checkpoints"/>, trained (or finished) first with
    /// <paramref name="options"/>, its progress drawn on <paramref name="progress"/>; with its held-out accuracy.
    /// </summary>
    public static ScoringClassifier LoadOrTrain(string checkpoints, MnistTrainingOptions options, TextWriter progress)
    {
        var fit = FitOptions.Default with
        {
            Epochs = options.Epochs,
            Checkpoints = new CheckpointStore(checkpoints, keepLast: 1),
            Progress = progress,
            InteractiveProgress = !Console.IsOutputRedirected,
        };
        var result = MnistTraining.Run(options, fit, CancellationToken.None);
        var classifier = Training.EvaluationParameters(result.State);
        TrainState.Dispose(result.State);
        using var split = MnistSplit.Load(options.DataDirectory, options.ValidationCount);
        return new ScoringClassifier(classifier, MnistTraining.Validation(split.Validation)(classifier)["accuracy"]);
    }
}
