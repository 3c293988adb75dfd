using TorchSharp;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.Models.Gan;

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
    /// <paramref name="options"/>, watched by <paramref name="observers"/> (a progress bar); with its held-out accuracy.
    /// </summary>
    public static ScoringClassifier LoadOrTrain(string checkpoints, MnistTrainingOptions options, IReadOnlyList<IFitObserver> observers)
    {
        var fit = new FitOptions { Epochs = options.Epochs, Observers = observers };
        var result = MnistTraining.Run(options, fit, new CheckpointStore(checkpoints, keepLast: 1), checkpointEverySteps: 0, CancellationToken.None);
        var classifier = TrainingSteps.EvaluationParameters(result.State);
        TrainState.Dispose(result.State);
        using var split = MnistTraining.OnDevice(MnistSplit.Load(options.DataDirectory, options.ValidationCount), options.Device ?? torch.get_default_device());
        return new ScoringClassifier(classifier, MnistTraining.Validation(split.Validation)(classifier, Functional.Core.ModelState.Empty)["accuracy"]);
    }
}
