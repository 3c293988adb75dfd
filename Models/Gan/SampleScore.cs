using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;

namespace Functional.Models.Gan;

/// <summary>How a digit classifier sees a set of generated samples.</summary>
/// <param name="Samples">How many samples were scored.</param>
/// <param name="Threshold">The confidence a sample needs to count as recognised.</param>
/// <param name="ConfidentShare">The share of samples whose most likely digit has probability above the threshold.</param>
/// <param name="ConfidentCounts">Per digit 0-9, the recognised samples classified as it.</param>
/// <param name="ClassesCovered">Digits with at least one recognised sample (mode coverage, 10 at best).</param>
/// <param name="ClassEntropy">The entropy of the recognised samples' digit shares divided by ln 10: 1 for an even spread, 0 for one digit only (0 when nothing is recognised).</param>
public sealed record SampleScore(int Samples, double Threshold, double ConfidentShare, IReadOnlyList<long> ConfidentCounts, int ClassesCovered, double ClassEntropy)
{
    /// <summary>One line: share, coverage, spread and the counts per digit.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Samples} samples: {ConfidentShare:P1} recognised with confidence > {Threshold}; {ClassesCovered}/10 digits present; spread (normalised entropy) {ClassEntropy:F3}; per digit 0-9: [{string.Join(", ", ConfidentCounts)}]");
}

/// <summary>Scores generated digits with a trained <see cref="DigitClassifier"/>.</summary>
public static class SampleScoring
{
    /// <summary>The confidence above which a sample counts as recognised.</summary>
    public const double DefaultThreshold = 0.9;

    /// <summary>
    /// Classifies <paramref name="samples"/> [count, 784] with pixels in [-1, 1] (the generator's range; they are
    /// mapped to the classifier's [0, 1]) and summarises the confident predictions. Computed without gradients;
    /// inputs untouched.
    /// </summary>
    /// <exception cref="ArgumentException">The samples are not [count ≥ 1, 784].</exception>
    public static SampleScore Score(DigitClassifier classifier, torch.Tensor samples, double threshold, torch.Generator generator)
    {
        if (samples.dim() != 2 || samples.shape[1] != DigitClassifier.Pixels || samples.shape[0] < 1)
            throw new ArgumentException($"Scoring needs samples [count >= 1, {DigitClassifier.Pixels}], got {Core.Shapes.Describe(samples)}.", nameof(samples));
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        var probabilities = DigitClassifier.Logits(classifier, samples.add(Scalars.One, Scalars.One).div(Scalars.Two), training: false, generator).softmax(1);
        var (confidence, digit) = probabilities.max(1);
        using var recognisedAbove = threshold.ToScalar();
        var confident = confidence.gt(recognisedAbove);
        var counts = digit.masked_select(confident).bincount(null, 10).data<long>().ToArray();
        var recognised = counts.Sum();
        var entropy = recognised == 0 ? 0 : Math.Abs(counts.Where(c => c > 0).Sum(c => (double)c / recognised * Math.Log((double)c / recognised))) / Math.Log(10);
        return new SampleScore((int)samples.shape[0], threshold, (double)recognised / samples.shape[0], counts, counts.Count(c => c > 0), entropy);
    }
}
