namespace Functional.Models.Word2Vec;

/// <summary>
/// The standard word2vec sampling recipe over a vocabulary: frequent-word subsampling, the unigram^0.75
/// negative-sampling table and randomly shrunk windows. Immutable and shared by workers; each worker passes
/// its own <see cref="Random"/>.
/// </summary>
public sealed class SkipGramSampler
{
    const int TableSize = 10_000_000;

    readonly double[] keepProbability;
    readonly int[] negativeTable;

    /// <summary>Prepares the sampling tables for <paramref name="vocabulary"/>.</summary>
    public SkipGramSampler(WordVocabulary vocabulary, double subsample)
    {
        var total = (double)vocabulary.Counts.Sum();
        keepProbability = vocabulary.Counts.Select(count =>
        {
            var ratio = subsample / (count / total);
            return Math.Min(1.0, Math.Sqrt(ratio) + ratio);
        }).ToArray();

        var weights = vocabulary.Counts.Select(count => Math.Pow(count, 0.75)).ToArray();
        var weightSum = weights.Sum();
        negativeTable = new int[Math.Min(TableSize, Math.Max(vocabulary.Size, 1) * 1000)];
        double cumulative = 0;
        var word = 0;
        for (var i = 0; i < negativeTable.Length; i++)
        {
            while (word < weights.Length - 1 && (i + 0.5) / negativeTable.Length > (cumulative + weights[word]) / weightSum)
                cumulative += weights[word++];
            negativeTable[i] = word;
        }
    }

    /// <summary>The probability that subsampling keeps an occurrence of word <paramref name="id"/>.</summary>
    public double KeepProbability(int id) => keepProbability[id];

    /// <summary>The occurrences of <paramref name="corpus"/> that subsampling keeps this time.</summary>
    public int[] Subsample(ReadOnlySpan<int> corpus, Random random)
    {
        var kept = new List<int>(corpus.Length);
        foreach (var id in corpus)
            if (random.NextDouble() < keepProbability[id]) kept.Add(id);
        return kept.ToArray();
    }

    /// <summary>A word drawn with probability proportional to count^0.75.</summary>
    public int Negative(Random random) => negativeTable[random.Next(negativeTable.Length)];
}
