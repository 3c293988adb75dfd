using Functional.Models.Text;
namespace Functional.Models.Evaluation;

/// <summary>
/// Character-level ROUGE, the usual measure for Chinese titles: texts are compared as sequences of characters
/// (<see cref="Characters.Of"/>: white space dropped), and each score is the F1 of precision (over the candidate)
/// and recall (over the reference); 0 when either side has no n-gram.
/// </summary>
public static class Rouge
{
    /// <summary>ROUGE-1, ROUGE-2 and ROUGE-L F1 of <paramref name="candidate"/> against <paramref name="reference"/>.</summary>
    public static RougeScores Score(string candidate, string reference)
    {
        var c = Characters.Of(candidate);
        var r = Characters.Of(reference);
        return new RougeScores(NGramF1(c, r, 1), NGramF1(c, r, 2), F1(LongestCommonSubsequence(c, r), c.Length, r.Length));
    }

    /// <summary>The mean of each score over <paramref name="pairs"/> of (candidate, reference).</summary>
    /// <exception cref="ArgumentException">There are no pairs.</exception>
    public static RougeScores Mean(IEnumerable<(string Candidate, string Reference)> pairs)
    {
        var scores = pairs.Select(p => Score(p.Candidate, p.Reference)).ToArray();
        if (scores.Length == 0) throw new ArgumentException("ROUGE of no pairs is undefined.", nameof(pairs));
        return new RougeScores(scores.Average(s => s.Rouge1), scores.Average(s => s.Rouge2), scores.Average(s => s.RougeL));
    }

    /// <summary>The length of the longest common subsequence of two character sequences.</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            for (var j = 1; j <= b.Count; j++)
                current[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal)
                    ? previous[j - 1] + 1
                    : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }

    static double NGramF1(string[] candidate, string[] reference, int n)
    {
        var candidateGrams = Count(candidate, n);
        var referenceGrams = Count(reference, n);
        var overlap = candidateGrams.Sum(g => Math.Min(g.Value, referenceGrams.GetValueOrDefault(g.Key)));
        return F1(overlap, Math.Max(0, candidate.Length - n + 1), Math.Max(0, reference.Length - n + 1));
    }

    static Dictionary<string, int> Count(string[] characters, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= characters.Length; i++)
        {
            var gram = string.Join('\u0001', characters, i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }

    static double F1(int overlap, int candidateCount, int referenceCount)
    {
        if (overlap == 0 || candidateCount == 0 || referenceCount == 0) return 0;
        double precision = (double)overlap / candidateCount, recall = (double)overlap / referenceCount;
        return 2 * precision * recall / (precision + recall);
    }
}
