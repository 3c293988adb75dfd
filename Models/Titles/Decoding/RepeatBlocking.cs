using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>
/// No-repeat-n-gram blocking for decoding: a character is forbidden when, appended to the title so far, it would make
/// the title's last n characters an n-gram the title already holds. Curbs the loops ("韩韩韩韩") a character decoder
/// falls into.
/// </summary>
public static class RepeatBlocking
{
    /// <summary>The log-probability of a forbidden character.</summary>
    static readonly Scalar ForbiddenLogProbability = double.NegativeInfinity.ToScalar();

    /// <summary>
    /// The characters that <paramref name="title"/> may not be followed by under n-gram size <paramref name="n"/>
    /// (0: blocking off, nothing is forbidden; 1: no character twice), without duplicates.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public static IReadOnlyCollection<int> Forbidden(IReadOnlyList<int> title, int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The n-gram size of repeat blocking must be 0 (off) or more.");
        if (n == 0 || title.Count < n - 1) return [];
        var forbidden = new HashSet<int>();
        var suffixStart = title.Count - (n - 1);
        for (var start = 0; start + n - 1 < title.Count && suffixStart >= 0; start++)
        {
            var same = true;
            for (var k = 0; k < n - 1 && same; k++) same = title[start + k] == title[suffixStart + k];
            if (same) forbidden.Add(title[start + n - 1]);
        }
        return forbidden;
    }

    /// <summary>
    /// <paramref name="logProbabilities"/> [titles.Count, vocabulary] with −∞ at the characters each row's title may
    /// not be followed by (<see cref="Forbidden"/>); the input itself when nothing is forbidden or n is 0. Pure.
    /// </summary>
    public static torch.Tensor Apply(torch.Tensor logProbabilities, IReadOnlyList<IReadOnlyList<int>> titles, int n)
    {
        if (n == 0) return logProbabilities;
        var vocabulary = logProbabilities.shape[1];
        var rows = new List<long>();
        var columns = new List<long>();
        for (var row = 0; row < titles.Count; row++)
            foreach (var id in Forbidden(titles[row], n))
            {
                rows.Add(row);
                columns.Add(id);
            }
        if (rows.Count == 0) return logProbabilities;
        var device = logProbabilities.device;
        var flat = torch.tensor(rows.Zip(columns, (r, c) => r * vocabulary + c).ToArray(), device: device);
        var mask = torch.zeros(titles.Count * vocabulary, dtype: torch.@bool, device: device).index_fill(0, flat, Scalars.True).view(titles.Count, vocabulary);
        return logProbabilities.masked_fill(mask, ForbiddenLogProbability);
    }
}
