using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;
using Functional.Models.Text;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Titles;

public sealed class TitleDecodingTests
{
    const int Vocabulary = 15;

    [Property(MaxTest = 25)]
    public void Beam_width_1_equals_greedy_decoding(int seed, bool normalize)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var random = new Random(seed);
        var article = WithUnknowns(random, Ids(random, Vocabulary, 0, 10));
        var (min, max) = (random.Next(0, 4), random.Next(4, 9));
        var noRepeat = random.Next(0, 4);

        var beam = BeamSearch.Decode(parameters, article, new BeamSearchOptions(1, min, max, normalize) { NoRepeatNgram = noRepeat });
        var greedy = GreedyDecoding.Decode(parameters, [article], new GreedyOptions(min, max) { NoRepeatNgram = noRepeat }).Single();

        Assert.Equal(greedy.Ids, beam.Ids);
        Assert.Equal(greedy.UnknownSources, beam.UnknownSources);
        Assert.Equal(greedy.Finished, beam.Finished);
        Assert.Equal(greedy.Score, beam.Score, 9);
        Assert.InRange(beam.Ids.Length, min, max);
    }

    [Property(MaxTest = 25)]
    public void Copy_only_beam_search_writes_only_characters_of_its_article(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var random = new Random(seed);
        var articles = new[] { Ids(random, Vocabulary, 1, 6), Ids(random, Vocabulary, 1, 6) };
        var options = new BeamSearchOptions(3, 1, 8, false) { ArticleCharactersOnly = true };

        var titles = BeamSearch.DecodeMany(parameters, articles, options);
        var alone = BeamSearch.DecodeByRerunningPrefix(parameters, articles[1], options, PrefixRerun.DecoderOnly);

        for (var a = 0; a < articles.Length; a++)
            Assert.All(titles[a].Ids, id => Assert.Contains(id, articles[a]));
        Assert.Equal(alone.Ids, titles[1].Ids);
    }

    [Property(MaxTest = 25)]
    public void Incremental_steps_give_the_log_probabilities_of_the_full_prefix_run(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var random = new Random(seed);
        var article = Ids(random, Vocabulary, 1, 10);
        var title = Ids(random, Vocabulary, 1, 6);
        var encoded = TitleGeneration.Encode(parameters, [article]);
        var input = torch.tensor(new long[] { CharacterVocabulary.Start }.Concat(title.Select(id => (long)id)).ToArray(), [1, title.Length + 1]);
        using var generator = new torch.Generator(0);
        var full = TitleDecoder.Apply(parameters, encoded, input, false, 0, generator, Capture.None);

        var state = TitleDecoder.InitialState(parameters, 1);
        for (var t = 0; t <= title.Length; t++)
        {
            var step = TitleDecoder.Step(parameters, encoded, input[.., t], state);
            Assert.True(step.LogProbabilities.allclose(full[.., t], 1e-5, 1e-5), $"position {t}: max difference {(step.LogProbabilities - full[.., t]).abs().max().item<float>()}");
            state = step.State;
        }
    }

    [Property(MaxTest = 15)]
    public void Beam_search_with_the_cache_equals_beam_search_re_running_every_prefix(int seed, bool normalize, bool wholeModel)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var random = new Random(seed);
        var article = WithUnknowns(random, Ids(random, Vocabulary, 1, 10));
        var options = new BeamSearchOptions(random.Next(1, 5), random.Next(0, 3), random.Next(3, 7), normalize);

        var cached = BeamSearch.Decode(parameters, article, options);
        var rerun = BeamSearch.DecodeByRerunningPrefix(parameters, article, options, wholeModel ? PrefixRerun.WholeModel : PrefixRerun.DecoderOnly);

        Assert.Equal(rerun.Ids, cached.Ids);
        Assert.Equal(rerun.Score, cached.Score, 4);
        Assert.Equal(rerun.UnknownSources, cached.UnknownSources);
        Assert.Equal(cached.Ids.Count(id => id == CharacterVocabulary.Unknown), cached.UnknownSources.Length);
        Assert.All(cached.UnknownSources, source => Assert.True(source == -1 ? !article.Contains(CharacterVocabulary.Unknown) : article[source] == CharacterVocabulary.Unknown, $"source {source}"));
    }

    [Property(MaxTest = 15)]
    public void Wider_beams_never_find_a_worse_title_than_greedy_without_normalisation(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var article = Ids(new Random(seed), Vocabulary, 1, 10);
        var greedy = BeamSearch.Decode(parameters, article, new BeamSearchOptions(1, 0, 6, false));
        var wide = BeamSearch.Decode(parameters, article, new BeamSearchOptions(4, 0, 6, false));
        // Greedy's title is finished or cut at the maximum; either way the wide beam's best is at least as good when both finish.
        if (greedy.Finished && wide.Finished) Assert.True(wide.Score >= greedy.Score - 1e-6, $"beam {wide.Score} < greedy {greedy.Score}");
    }

    [Fact]
    public void Sampling_is_reproducible_with_a_seed_and_top_k_1_is_greedy()
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(3, Vocabulary);
        var random = new Random(3);
        var articles = Enumerable.Range(0, 5).Select(_ => Ids(random, Vocabulary, 1, 10)).ToArray();
        var options = SamplingOptions.Default with { MaxLength = 8 };
        var first = TitleSampling.Decode(parameters, articles, options, new torch.Generator(11));
        var second = TitleSampling.Decode(parameters, articles, options, new torch.Generator(11));
        Assert.Equal(first.Select(t => string.Join(",", t.Ids)), second.Select(t => string.Join(",", t.Ids)));

        var topOne = TitleSampling.Decode(parameters, articles, options with { TopK = 1, TopP = 1 }, new torch.Generator(5));
        var greedy = GreedyDecoding.Decode(parameters, articles, new GreedyOptions(options.MinLength, options.MaxLength));
        Assert.Equal(greedy.Select(t => string.Join(",", t.Ids)), topOne.Select(t => string.Join(",", t.Ids)));
    }
}
