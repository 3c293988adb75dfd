using System.Globalization;
using Functional.Core;
using TorchSharp;
using Functional.Models.Titles;

namespace Functional.Models.Word2Vec;

/// <summary>Agreement of word vectors with human similarity judgements.</summary>
/// <param name="Spearman">Spearman rank correlation between cosine and human score over the pairs used.</param>
/// <param name="PairsUsed">Pairs whose two words are both in the vocabulary.</param>
/// <param name="PairsTotal">All pairs in the file.</param>
public sealed record SimilarityResult(double Spearman, int PairsUsed, int PairsTotal);

/// <summary>Analogy accuracy (a : b :: c : ?, answered by the nearest word to b - a + c, question words excluded).</summary>
/// <param name="Accuracy">Share of the questions answered that were right.</param>
/// <param name="Answered">Questions whose four words are all in the vocabulary.</param>
/// <param name="Total">All questions in the file.</param>
public sealed record AnalogyResult(double Accuracy, int Answered, int Total);

/// <summary>The standard intrinsic evaluations of word vectors.</summary>
public static class WordEmbeddingEvaluation
{
    /// <summary>The score given to an analogy's own question words, so that none of them is the answer.</summary>
    static readonly Scalar Excluded = float.NegativeInfinity.ToScalar();

    /// <summary>Scores a similarity file of <c>word1&lt;TAB&gt;word2&lt;TAB&gt;score</c> lines ('#' lines skipped), lower-cased.</summary>
    public static SimilarityResult Similarity(WordVectors vectors, string path)
    {
        var pairs = File.ReadLines(path).Where(line => line.Length > 0 && !line.StartsWith('#')).Select(line =>
        {
            var fields = line.Split('\t');
            return fields.Length == 3 ? (A: fields[0].ToLowerInvariant(), B: fields[1].ToLowerInvariant(), Human: double.Parse(fields[2], CultureInfo.InvariantCulture))
                : throw new InvalidDataException($"{path}: expected 'word1<TAB>word2<TAB>score', got '{line}'.");
        }).ToArray();
        var used = pairs.Select(p => (p.Human, Model: vectors.Similarity(p.A, p.B))).Where(p => p.Model is not null).ToArray();
        var spearman = used.Length < 2 ? double.NaN : Spearman(used.Select(p => p.Human).ToArray(), used.Select(p => p.Model!.Value).ToArray());
        return new SimilarityResult(spearman, used.Length, pairs.Length);
    }

    /// <summary>Answers the questions of an analogy file (<c>: section</c> headers, then <c>a b c d</c> lines), lower-cased.</summary>
    public static AnalogyResult Analogies(WordVectors vectors, string path)
    {
        var questions = File.ReadLines(path).Where(line => line.Length > 0 && !line.StartsWith(':'))
            .Select(line => line.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(vectors.Row).ToArray())
            .ToArray();
        var known = questions.Where(q => q.Length == 4 && q.All(row => row >= 0)).ToArray();
        var right = 0;
        using var scope = torch.NewDisposeScope();
        var unit = vectors.Normalized();
        foreach (var chunk in known.Chunk(512))
        {
            using var chunkScope = torch.NewDisposeScope();
            long[] Column(int k) => chunk.Select(q => (long)q[k]).ToArray();
            var query = (unit[torch.tensor(Column(1))] - unit[torch.tensor(Column(0))]).add(unit[torch.tensor(Column(2))], Scalars.One);
            var scores = query.matmul(unit.t());
            var excluded = torch.full([chunk.Length, 1], Excluded);
            for (var k = 0; k < 3; k++) scores.scatter_(1, torch.tensor(Column(k)).unsqueeze(1), excluded);
            var predicted = scores.argmax(1).data<long>().ToArray();
            right += predicted.Where((p, i) => p == chunk[i][3]).Count();
        }
        return new AnalogyResult(known.Length == 0 ? double.NaN : (double)right / known.Length, known.Length, questions.Length);
    }

    /// <summary>Spearman's rank correlation: Pearson's correlation of the ranks, ties given their mean rank.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"The samples differ in length: {x.Count} and {y.Count}.");
        return Pearson(Ranks(x), Ranks(y));
    }

    static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            for (var k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        return ranks;
    }

    static double Pearson(double[] x, double[] y)
    {
        double meanX = x.Average(), meanY = y.Average();
        double covariance = 0, varianceX = 0, varianceY = 0;
        for (var i = 0; i < x.Length; i++)
        {
            covariance += (x[i] - meanX) * (y[i] - meanY);
            varianceX += (x[i] - meanX) * (x[i] - meanX);
            varianceY += (y[i] - meanY) * (y[i] - meanY);
        }
        return covariance / Math.Sqrt(varianceX * varianceY);
    }
}
