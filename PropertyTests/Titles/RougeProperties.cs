using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using Functional.Models.Evaluation;
using Functional.Models.Text;

namespace Functional.PropertyTests.Titles;

/// <summary>Short strings over a small alphabet (with a character outside the BMP), so that overlaps are common.</summary>
public static class SmallTexts
{
    static readonly string[] Alphabet = ["标", "题", "生", "成", "a", "b", "𠀋"];

    public static Arbitrary<string> Texts() =>
        Arb.From(Gen.Choose(0, 9).SelectMany(length => Gen.ArrayOf(Gen.Elements(Alphabet), length)).Select(string.Concat));
}

[Properties(Arbitrary = new[] { typeof(SmallTexts) })]
public sealed class RougeProperties
{
    [Property(MaxTest = 300)]
    public void Scores_lie_in_0_to_1_and_are_symmetric(string a, string b)
    {
        var ab = Rouge.Score(a, b);
        var ba = Rouge.Score(b, a);

        Assert.Equal(ab, ba);
        Assert.All(new[] { ab.Rouge1, ab.Rouge2, ab.RougeL }, s => Assert.InRange(s, 0, 1));
    }

    [Property(MaxTest = 300)]
    public void A_text_against_itself_scores_1(string a)
    {
        var length = Characters.Of(a).Length;
        var score = Rouge.Score(a, a);

        Assert.Equal(length >= 1 ? 1 : 0, score.Rouge1);
        Assert.Equal(length >= 1 ? 1 : 0, score.RougeL);
        Assert.Equal(length >= 2 ? 1 : 0, score.Rouge2);
    }

    [Property(MaxTest = 300)]
    public void Longest_common_subsequence_equals_the_brute_force_one(string a, string b)
    {
        var x = Characters.Of(a);
        var y = Characters.Of(b);

        Assert.Equal(BruteForceLcs(x, y), Rouge.LongestCommonSubsequence(x, y));
    }

    [Property(MaxTest = 300)]
    public void Rouge1_counts_shared_characters_with_multiplicity(string a, string b)
    {
        var x = Characters.Of(a);
        var y = Characters.Of(b);
        var overlap = x.Distinct().Sum(c => Math.Min(x.Count(v => v == c), y.Count(v => v == c)));
        var expected = overlap == 0 ? 0 : 2.0 * overlap / (x.Length + y.Length);

        Assert.Equal(expected, Rouge.Score(a, b).Rouge1, 12);
    }

    [Fact]
    public void Texts_with_no_character_in_common_score_0_and_white_space_is_ignored()
    {
        Assert.Equal(new RougeScores(0, 0, 0), Rouge.Score("标题", "生成"));
        Assert.Equal(new RougeScores(1, 1, 1), Rouge.Score("标 题\n", "标题"));
    }

    /// <summary>The longest common subsequence by trying every subsequence of the shorter side.</summary>
    static int BruteForceLcs(string[] a, string[] b)
    {
        var (shorter, longer) = a.Length <= b.Length ? (a, b) : (b, a);
        var best = 0;
        for (var mask = 0; mask < 1 << shorter.Length; mask++)
        {
            var subsequence = shorter.Where((_, i) => (mask & (1 << i)) != 0).ToArray();
            if (subsequence.Length > best && IsSubsequence(subsequence, longer)) best = subsequence.Length;
        }
        return best;
    }

    static bool IsSubsequence(string[] candidate, string[] text)
    {
        var at = 0;
        foreach (var c in text)
            if (at < candidate.Length && candidate[at] == c) at++;
        return at == candidate.Length;
    }
}
