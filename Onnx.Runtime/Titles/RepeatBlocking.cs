namespace Functional.Inference.Titles;

/// <summary>
/// No-repeat-n-gram blocking, as the training side's <c>RepeatBlocking</c>: a character is forbidden when, appended to
/// the title so far, it would make the title's last n characters an n-gram the title already holds.
/// </summary>
public static class RepeatBlocking
{
    /// <summary>The characters <paramref name="title"/> may not be followed by under n-gram size <paramref name="n"/> (0: none; 1: no character twice).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public static IReadOnlyCollection<int> Forbidden(IReadOnlyList<int> title, int n)
    {
        ArgumentNullException.ThrowIfNull(title);
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
}
