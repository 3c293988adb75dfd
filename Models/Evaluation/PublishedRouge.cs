using Functional.Models.Text;

namespace Functional.Models.Evaluation;

/// <summary>
/// Character ROUGE on the scale of the published LCSTS and CSL tables (CLGE, bert4keras, the UniLM and T5-PEGASUS
/// reports): the Python <c>rouge</c> package's default <c>Rouge().get_scores</c> on the characters joined by spaces,
/// an empty title scoring 0. It differs from <see cref="Rouge"/> in three ways, all kept on purpose:
/// <list type="bullet">
/// <item>n-grams are SETS: a repeated character or bigram counts once on each side (so a title that repeats itself
/// loses less than under <see cref="Rouge"/>);</item>
/// <item>ROUGE-L is summary-level: both texts are cut into sentences at '.', and the score counts the union, over the
/// reference's sentences, of the distinct characters of one longest common subsequence (reconstructed as the package
/// does) with each candidate sentence, over the distinct characters of each side;</item>
/// <item>F = 2PR / (P + R + 1e-8), so a perfect score is 0.99999999..., not 1.</item>
/// </list>
/// The '.' is never a token; n-grams run across it (the package flattens the sentences before counting n-grams). The
/// package's quirk of two '.' with nothing between them (an empty token) is kept too, so that the numbers agree exactly.
/// </summary>
public static class PublishedRouge
{
    /// <summary>The package's smoothing term in F = 2PR / (P + R + 1e-8).</summary>
    public const double Epsilon = 1e-8;

    /// <summary>ROUGE-1, ROUGE-2 and ROUGE-L F of <paramref name="candidate"/> against <paramref name="reference"/>; all 0 when either has no sentence.</summary>
    public static RougeScores Score(string candidate, string reference)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(reference);
        var (c, r) = (Sentences(candidate), Sentences(reference));
        if (c.Length == 0 || r.Length == 0) return new RougeScores(0, 0, 0); // the package raises; the published scripts score 0
        return new RougeScores(NGramF(c, r, 1), NGramF(c, r, 2), SummaryLevelLcsF(c, r));
    }

    /// <summary>The mean of each score over <paramref name="pairs"/> of (candidate, reference).</summary>
    /// <exception cref="ArgumentException">There are no pairs.</exception>
    public static RougeScores Mean(IEnumerable<(string Candidate, string Reference)> pairs)
    {
        var scores = pairs.Select(p => Score(p.Candidate, p.Reference)).ToArray();
        if (scores.Length == 0) throw new ArgumentException("ROUGE of no pairs is undefined.", nameof(pairs));
        return new RougeScores(scores.Average(s => s.Rouge1), scores.Average(s => s.Rouge2), scores.Average(s => s.RougeL));
    }

    /// <summary>
    /// The sentences of <paramref name="text"/> as the package reads <c>' '.join(characters)</c>: split at '.', pieces
    /// that are empty dropped, each piece's white space normalised and split at ' ' into tokens (a piece that is only a
    /// space gives the single empty token, as Python's <c>"".split(" ")</c> does).
    /// </summary>
    public static string[][] Sentences(string text)
    {
        var joined = string.Join(' ', Characters.Of(text));
        return joined.Split('.').Where(piece => piece.Length > 0)
            .Select(piece => string.Join(' ', piece.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Split(' '))
            .ToArray();
    }

    static double NGramF(string[][] candidate, string[][] reference, int n)
    {
        var (c, r) = (NGrams(candidate, n), NGrams(reference, n));
        var overlap = c.Count(r.Contains);
        return F(c.Count == 0 ? 0 : (double)overlap / c.Count, r.Count == 0 ? 0 : (double)overlap / r.Count);
    }

    /// <summary>The set of n-grams of the sentences' tokens flattened into one list.</summary>
    static HashSet<string> NGrams(string[][] sentences, int n)
    {
        var tokens = sentences.SelectMany(s => s).ToArray();
        var grams = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + n <= tokens.Length; i++) grams.Add(string.Join('\u0001', tokens, i, n));
        return grams;
    }

    static double SummaryLevelLcsF(string[][] candidate, string[][] reference)
    {
        var referenceTokens = reference.SelectMany(s => s).ToHashSet(StringComparer.Ordinal).Count;
        var candidateTokens = candidate.SelectMany(s => s).ToHashSet(StringComparer.Ordinal).Count;
        var union = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sentence in reference)
            foreach (var evaluated in candidate)
                union.UnionWith(LcsTokens(sentence, evaluated));
        // The package adds, per reference sentence, how much the running union grew: in all, the union's size.
        return F((double)union.Count / candidateTokens, (double)union.Count / referenceTokens);
    }

    /// <summary>
    /// The tokens of one longest common subsequence of <paramref name="x"/> (a reference sentence) and <paramref name="y"/>
    /// (a candidate sentence), traced back from the end as the package's <c>_recon_lcs</c> does: on a match both step
    /// back; otherwise up (in x) when that cell is strictly larger, else left (in y).
    /// </summary>
    public static IReadOnlyList<string> LcsTokens(IReadOnlyList<string> x, IReadOnlyList<string> y)
    {
        var table = new int[x.Count + 1, y.Count + 1];
        for (var i = 1; i <= x.Count; i++)
            for (var j = 1; j <= y.Count; j++)
                table[i, j] = string.Equals(x[i - 1], y[j - 1], StringComparison.Ordinal) ? table[i - 1, j - 1] + 1 : Math.Max(table[i - 1, j], table[i, j - 1]);
        var tokens = new List<string>();
        for (int i = x.Count, j = y.Count; i > 0 && j > 0;)
        {
            if (string.Equals(x[i - 1], y[j - 1], StringComparison.Ordinal))
            {
                tokens.Add(x[i - 1]);
                (i, j) = (i - 1, j - 1);
            }
            else if (table[i - 1, j] > table[i, j - 1]) i--;
            else j--;
        }
        tokens.Reverse();
        return tokens;
    }

    static double F(double precision, double recall) => 2 * (precision * recall / (precision + recall + Epsilon));
}
