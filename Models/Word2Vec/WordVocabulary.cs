namespace Functional.Models.Word2Vec;

/// <summary>
/// The words of a corpus that occur at least a minimum number of times, with their counts; ids run from 0 in
/// order of decreasing count (ties by ordinal order), so the same corpus always gives the same ids.
/// </summary>
public sealed class WordVocabulary
{
    readonly Dictionary<string, int> ids;

    WordVocabulary(string[] words, long[] counts)
    {
        Words = words;
        Counts = counts;
        ids = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>The words, by id.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>How often each word occurs in the corpus, by id.</summary>
    public IReadOnlyList<long> Counts { get; }

    /// <summary>The number of words.</summary>
    public int Size => Words.Count;

    /// <summary>The words of <paramref name="corpus"/> with at least <paramref name="minimumCount"/> occurrences.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumCount"/> is below 1.</exception>
    public static WordVocabulary Build(IEnumerable<string> corpus, int minimumCount)
    {
        if (minimumCount < 1) throw new ArgumentOutOfRangeException(nameof(minimumCount), minimumCount, "The minimum count must be at least 1.");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var word in corpus) counts[word] = counts.GetValueOrDefault(word) + 1;
        var kept = counts.Where(p => p.Value >= minimumCount)
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToArray();
        return new(kept.Select(p => p.Key).ToArray(), kept.Select(p => p.Value).ToArray());
    }

    /// <summary>The id of <paramref name="word"/>, or -1 when it is not in the vocabulary.</summary>
    public int Id(string word) => ids.GetValueOrDefault(word, -1);

    /// <summary>The ids of the words of <paramref name="corpus"/> that are in the vocabulary, in order (others dropped).</summary>
    public int[] Encode(IEnumerable<string> corpus) => corpus.Select(Id).Where(id => id >= 0).ToArray();
}
