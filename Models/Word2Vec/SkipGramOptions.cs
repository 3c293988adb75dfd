namespace Functional.Models.Word2Vec;

/// <summary>How skip-gram with negative sampling is trained (fastText's skip-gram defaults).</summary>
/// <param name="Dimension">Vector size.</param>
/// <param name="Window">Largest distance of a context word; each centre draws its window in 1..Window.</param>
/// <param name="Negatives">Negative samples per (centre, context) pair, drawn from unigram^0.75.</param>
/// <param name="MinimumCount">Words rarer than this are dropped.</param>
/// <param name="Subsample">Frequent-word threshold t: a word of frequency f is kept with probability √(t/f) + t/f.</param>
/// <param name="Epochs">Passes over the corpus.</param>
/// <param name="LearningRate">Initial step size, decaying linearly to 0 over all epochs.</param>
/// <param name="Threads">Workers training concurrently on slices of the corpus (lock-free, as word2vec).</param>
/// <param name="Seed">Seeds initialisation and every worker's draws (results are reproducible with one thread).</param>
public sealed record SkipGramOptions(
    int Dimension, int Window, int Negatives, int MinimumCount, double Subsample, int Epochs, double LearningRate, int Threads, int Seed)
{
    /// <summary>Dimension 100, window 5, 5 negatives, min count 5, t = 1e-4, 5 epochs, rate 0.05, 2 threads.</summary>
    public static SkipGramOptions Default { get; } = new(100, 5, 5, 5, 1e-4, 5, 0.05, 2, 1);

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first value out of range.</summary>
    public SkipGramOptions Validated()
    {
        Check(Dimension >= 1, nameof(Dimension), Dimension);
        Check(Window >= 1, nameof(Window), Window);
        Check(Negatives >= 0, nameof(Negatives), Negatives);
        Check(MinimumCount >= 1, nameof(MinimumCount), MinimumCount);
        Check(Subsample > 0, nameof(Subsample), Subsample);
        Check(Epochs >= 1, nameof(Epochs), Epochs);
        Check(LearningRate > 0, nameof(LearningRate), LearningRate);
        Check(Threads >= 1, nameof(Threads), Threads);
        return this;
    }

    static void Check(bool valid, string name, object value)
    {
        if (!valid) throw new ArgumentOutOfRangeException(name, value, $"{name} is out of range: {value}.");
    }
}
