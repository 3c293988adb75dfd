using System.Globalization;
using TorchSharp;

namespace Functional.Models;

/// <summary>
/// The digit classifier that scores GAN samples, kept in a <see cref="CheckpointStore"/> folder: trained once with
/// <see cref="MnistTraining"/> (SGD, held-out accuracy printed), then loaded.
/// </summary>
public static class ClassifierFile
{
    const string HiddenKey = "hidden";

    /// <summary>
    /// The classifier stored in <paramref name="directory"/>; if there is none, one trained with
    /// <paramref name="options"/> (each epoch reported to <paramref name="report"/>) and saved there first.
    /// </summary>
    public static DigitClassifier LoadOrTrain(string directory, MnistTrainingOptions options, Action<MnistEpoch> report)
    {
        var store = new CheckpointStore(directory, keepLast: 1);
        if (store.LoadLatest() is { } latest)
        {
            var hidden = int.Parse(latest.Content.Metadata[HiddenKey], CultureInfo.InvariantCulture);
            using var generator = new torch.Generator(0);
            var template = DigitClassifier.Init(generator, hidden, dropoutRate: 0.2, torch.CPU);
            var restored = TreeFile.Restore(template, latest.Content.Tensors);
            Core.Tree.Dispose(template);
            return restored;
        }
        var trained = MnistTraining.Run(options, report);
        store.Save(0, TreeFile.Tensors(trained), new Dictionary<string, string> { [HiddenKey] = options.Hidden.ToString(CultureInfo.InvariantCulture) });
        return trained;
    }
}
