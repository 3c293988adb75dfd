using FsCheck.Xunit;
using Functional.Models.Evaluation;
using Xunit;

namespace Functional.PropertyTests.Titles;

/// <summary>
/// ROUGE on the published LCSTS/CSL scale (issue 26, item 5): the Python <c>rouge</c> package's default semantics on
/// space-joined characters. The expected values were derived by hand from the package's algorithm (sets of n-grams
/// over the flattened sentences, summary-level union LCS over '.'-split sentences, F = 2PR/(P+R+1e-8)); each case
/// states its counts.
/// </summary>
[Properties(Arbitrary = new[] { typeof(SmallTexts) })]
public sealed class PublishedRougeTests
{
    const double Eps = 1e-8;

    static double F(double p, double r) => 2 * (p * r / (p + r + Eps));

    /// <summary>(candidate, reference, ROUGE-1, ROUGE-2, ROUGE-L), each value from counts worked out by hand.</summary>
    public static TheoryData<string, string, double, double, double> Cases => new()
    {
        // 1-grams: {我,爱,家} against {我,爱,北,京}, 2 shared: P 2/3, R 2/4. 2-grams: {我爱,爱我,我家} against {我爱,爱北,北京}, 1 shared.
        // LCS of 我爱北京 and 我爱我家 is 我爱: 2 distinct tokens over 3 distinct candidate and 4 distinct reference tokens.
        { "我爱我家", "我爱北京", F(2.0 / 3, 0.5), F(1.0 / 3, 1.0 / 3), F(2.0 / 3, 0.5) },
        // A '.' splits sentences but n-grams run across it: 今天|天天|天气|气好 on both sides. Union LCS: {今,天} from the
        // first sentence and {天,气,好} from the second make all 4 distinct reference tokens.
        { "今天.天气好", "今天天气好", F(1, 1), F(1, 1), F(1, 1) },
        // Repeats collapse: {好} against {好}. No bigram on the reference side: P = R = 0 for ROUGE-2.
        { "好好好", "好", F(1, 1), 0, F(1, 1) },
        // The same set of characters {甲,乙}; no shared bigram; one LCS token (乙, by the package's trace-back): 1 of 2 on each side.
        { "乙甲", "甲乙", F(1, 1), 0, F(0.5, 0.5) },
        // White space is not a token; the same characters in another order share all 1-grams, the bigrams 标题 and 生成
        // of {标题,题生,生成} and {生成,成标,标题}, and an LCS of 2 (生成 or 标题) of the 4 distinct tokens on each side.
        { "标 题 生成", "生成标题", F(1, 1), F(2.0 / 3, 2.0 / 3), F(0.5, 0.5) },
        // Two '.' with nothing between give the package's empty token: {甲,"",乙} against {甲,乙}; bigrams 甲|"" and ""|乙
        // share nothing with 甲乙; union LCS {甲} + {} + {乙} = 2 over 3 candidate and 2 reference tokens.
        { "甲..乙", "甲乙", F(2.0 / 3, 1), 0, F(2.0 / 3, 1) },
        // An empty title, or one that is only '.', scores 0 (the package raises; the published scripts catch it as 0).
        { "", "标题", 0, 0, 0 },
        { ".", "标题", 0, 0, 0 },
        { "标题", "", 0, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_match_the_hand_derived_values(string candidate, string reference, double rouge1, double rouge2, double rougeL)
    {
        var score = PublishedRouge.Score(candidate, reference);
        Assert.Equal(rouge1, score.Rouge1, 15);
        Assert.Equal(rouge2, score.Rouge2, 15);
        Assert.Equal(rougeL, score.RougeL, 15);
    }

    [Fact]
    public void The_trace_back_breaks_ties_as_the_package_does()
    {
        // At (2, 2) neither neighbour is strictly larger (both 1), so it steps left in the candidate and then matches 乙.
        Assert.Equal(["乙"], PublishedRouge.LcsTokens(["甲", "乙"], ["乙", "甲"]));
        Assert.Equal(["甲"], PublishedRouge.LcsTokens(["乙", "甲"], ["甲", "乙"]));
        Assert.Equal(["a", "b", "c"], PublishedRouge.LcsTokens(["a", "x", "b", "c"], ["a", "b", "y", "c"]));
    }

    [Fact]
    public void It_differs_from_todays_rouge_where_titles_repeat()
    {
        // Today's ROUGE-1 counts with multiplicity: 1 shared of 3 and 1 gives F 0.5; the published scale counts 好 once.
        Assert.Equal(0.5, Rouge.Score("好好好", "好").Rouge1, 12);
        Assert.Equal(F(1, 1), PublishedRouge.Score("好好好", "好").Rouge1, 15);
    }

    [Property(MaxTest = 300)]
    public void Rouge_n_is_symmetric_every_score_lies_below_1_and_the_mean_is_the_mean(string a, string b)
    {
        var ab = PublishedRouge.Score(a, b);
        var ba = PublishedRouge.Score(b, a);
        Assert.Equal(ab.Rouge1, ba.Rouge1, 15);
        Assert.Equal(ab.Rouge2, ba.Rouge2, 15);
        Assert.All(new[] { ab.Rouge1, ab.Rouge2, ab.RougeL }, s => Assert.InRange(s, 0, 1 - 1e-9));
        var mean = PublishedRouge.Mean([(a, b), (b, a)]);
        Assert.Equal((ab.RougeL + ba.RougeL) / 2, mean.RougeL, 15);
    }

    [Property(MaxTest = 300)]
    public void A_text_against_itself_scores_the_packages_1(string a)
    {
        // Without '.', a non-empty text is one sentence: every distinct token and bigram is shared.
        var tokens = PublishedRouge.Sentences(a).SelectMany(s => s).ToArray();
        var score = PublishedRouge.Score(a, a);
        Assert.Equal(tokens.Length >= 1 ? F(1, 1) : 0, score.Rouge1, 15);
        Assert.Equal(tokens.Length >= 1 ? F(1, 1) : 0, score.RougeL, 15);
        Assert.Equal(tokens.Length >= 2 ? F(1, 1) : 0, score.Rouge2, 15);
    }

    [Fact]
    public void The_mean_of_no_pairs_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => PublishedRouge.Mean([]));
    }
}
