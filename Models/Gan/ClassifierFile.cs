using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>The classifier that scores GAN samples and its held-out accuracy.</summary>
/// <param name="Classifier">The weights used for scoring (the EMA weights of its training run).</param>
/// <param name="ValidationAccuracy">Its accuracy on the 1,000 held-out MNIST t10k digits.</param>
/// <param name="Step">The step of the checkpoint it was read from.</param>
public sealed record ScoringClassifier(DigitClassifier Classifier, double ValidationAccuracy, long Step);

/// <summary>
/// The digit classifier that scores GAN samples: the newest checkpoint of a <c>mnist</c> training run (the format of
/// <see cref="MnistTraining"/>, so <c>--classifier runs/mnist/checkpoints</c> reuses one), read for scoring only. The
/// folder is never written to: its checkpoint files are copied into a temporary folder and loaded from there, so
/// nothing touches the classifier's run (<see cref="CheckpointCopy"/>).
/// </summary>
public static class ClassifierFile
{
    /// <summary>
    /// The classifier of the newest checkpoint in <paramref name="checkpoints"/> (trained with <paramref name="options"/>'
    /// sizes) on <c>options.Device</c>, with its held-out accuracy; null when the folder has no checkpoint.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoints are damaged or are not of a digit classifier of these sizes.</exception>
    public static ScoringClassifier? Load(string checkpoints, MnistTrainingOptions options)
    {
        var device = options.Device ?? torch.get_default_device();
        using var split = MnistTraining.OnDevice(MnistSplit.Load(options.DataDirectory, options.ValidationCount), device);
        var stepsPerEpoch = (int)((split.Train.Digits.shape[0] + options.BatchSize - 1) / options.BatchSize);
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var template = DigitClassifier.Init(generator, options.Hidden, options.DropoutRate, device);
        Resumption<DigitClassifier, NoState>? loaded;
        try
        {
            loaded = CheckpointCopy.LoadLatest(checkpoints, template, NoState.Value, MnistTraining.Pipeline(options, stepsPerEpoch));
        }
        finally
        {
            Tree.Dispose(template);
        }
        if (loaded is null) return null;
        var classifier = TrainingSteps.EvaluationParameters(loaded.State);
        TrainState.Dispose(loaded.State);
        return new ScoringClassifier(classifier, MnistTraining.Validation(split.Validation)(classifier, NoState.Value)["accuracy"], loaded.FromStep ?? 0);
    }
}
