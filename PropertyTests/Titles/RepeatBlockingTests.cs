using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;
using Functional.Models.Text;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Titles;

public sealed class RepeatBlockingTests
{
    const int Vocabulary = 15;

    /// <summary>Whether <paramref name="title"/> holds some n-gram twice (overlapping occurrences count).</summary>
    static bool RepeatsAnNgram(IReadOnlyList<int> title, int n) =>
        n > 0 && Enumerable.Range(0, Math.Max(0, title.Count - n + 1))
            .Select(start => string.Join(",", title.Skip(start).Take(n)))
            .GroupBy(gram => gram).Any(group => group.Count() > 1);

    [Property(MaxTest = 300)]
    public void A_character_is_forbidden_exactly_when_appending_it_repeats_an_ngram(int seed)
    {
        var random = new Random(seed);
        var n = random.Next(1, 4);
        // Few distinct characters, so repeats are common; the title itself may already hold repeats.
        var title = Enumerable.Range(0, random.Next(0, 9)).Select(_ => random.Next(4, 7)).ToArray();
        var forbidden = RepeatBlocking.Forbidden(title, n);

        for (var next = 4; next < 8; next++)
        {
            var newGram = title.Length + 1 >= n ? title.Append(next).TakeLast(n).ToArray() : null;
            var repeats = newGram is not null && Enumerable.Range(0, title.Length - n + 1).Any(start => title.Skip(start).Take(n).SequenceEqual(newGram));
            Assert.Equal(repeats, forbidden.Contains(next));
        }
        Assert.Empty(RepeatBlocking.Forbidden(title, 0));
    }

    [Property(MaxTest = 20)]
    public void Greedy_beam_and_sampled_titles_never_repeat_an_ngram_under_blocking_nor_hold_padding_or_start(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var random = new Random(seed);
        var articles = new[] { Ids(random, Vocabulary, 1, 8), Ids(random, Vocabulary, 0, 8) };
        var n = random.Next(1, 4);
        using var generator = new torch.Generator((ulong)(uint)seed);

        var greedy = GreedyDecoding.Decode(parameters, articles, new GreedyOptions(0, 12) { NoRepeatNgram = n });
        var beam = BeamSearch.DecodeMany(parameters, articles, new BeamSearchOptions(3, 0, 12, false) { NoRepeatNgram = n });
        var sampled = TitleSampling.Decode(parameters, articles, new SamplingOptions(0, 1, 1, 0, 12) { NoRepeatNgram = n }, generator);

        foreach (var title in greedy.Concat(beam).Concat(sampled))
        {
            Assert.False(RepeatsAnNgram(title.Ids, n), $"{string.Join(",", title.Ids)} repeats a {n}-gram");
            Assert.DoesNotContain(CharacterVocabulary.Padding, title.Ids);
            Assert.DoesNotContain(CharacterVocabulary.Start, title.Ids);
            Assert.True(double.IsFinite(title.Score));
        }
    }

    [Fact]
    public void Without_blocking_the_same_model_does_repeat_so_the_law_above_can_fail()
    {
        using var scope = torch.NewDisposeScope();
        var repeated = Enumerable.Range(0, 20).Any(seed =>
        {
            var parameters = Model(seed, Vocabulary);
            var random = new Random(seed);
            var article = Ids(random, Vocabulary, 1, 8);
            return RepeatsAnNgram(GreedyDecoding.Decode(parameters, [article], new GreedyOptions(0, 12)).Single().Ids, 2);
        });
        Assert.True(repeated);
    }

    [Property(MaxTest = 10)]
    public void When_every_character_is_forbidden_decoding_stops_the_title_unfinished(int seed)
    {
        // Three writable ids (unknown 1 and the characters 4 and 5), each allowed once, and the end forbidden before 4
        // characters: after three characters nothing is allowed.
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, 6);
        var article = new[] { 4, 5, 4 };
        using var generator = new torch.Generator((ulong)(uint)seed);

        var greedy = GreedyDecoding.Decode(parameters, [article], new GreedyOptions(4, 6) { NoRepeatNgram = 1 }).Single();
        var beam = BeamSearch.Decode(parameters, article, new BeamSearchOptions(1, 4, 6, false) { NoRepeatNgram = 1 });
        var sampled = TitleSampling.Decode(parameters, [article], new SamplingOptions(0, 1, 1, 4, 6) { NoRepeatNgram = 1 }, generator).Single();

        foreach (var title in new[] { greedy, beam, sampled })
        {
            Assert.Equal(new[] { CharacterVocabulary.Unknown, 4, 5 }, title.Ids.Order());
            Assert.False(title.Finished);
            Assert.True(double.IsFinite(title.Score));
        }
        Assert.Equal(greedy.Ids, beam.Ids);
    }
}
