using FsCheck.Xunit;
using Functional.Core;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Models.Titles.UniLm;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;

namespace Functional.PropertyTests.Titles;

/// <summary>The UniLM title model's laws: its mask, padding, the KV-cache stepper against the full pass, beam search against re-running the prefix.</summary>
public sealed class UniLmTests
{
    const int Vocabulary = 17;

    /// <summary>A UniLM of width 8 (one head), two blocks, with a random copy gate and prior (so copying and writing both matter), float64.</summary>
    static UniLmParams Model(int seed)
    {
        using var generator = new torch.Generator((ulong)(uint)seed);
        var parameters = UniLmModel.Init(generator, Vocabulary, Tiny with { DecoderLayers = 2, Kind = TitleModelKinds.UniLm }, torch.CPU);
        using var tenth = 0.1.ToScalar();
        var prior = new CopyPriorParams(torch.rand(Vocabulary, generator: generator).mul(Scalars.Two), torch.randn(Vocabulary, generator: generator).mul(tenth));
        var gate = new LinearParams(torch.randn(parameters.CopyGate.Weight.shape, generator: generator).mul(Scalars.Half), torch.randn(1, generator: generator));
        var random = parameters with { CopyPrior = prior, CopyGate = gate };
        return Tree.Map(random, leaf => leaf.to(torch.float64));
    }

    static torch.Tensor Padded(IReadOnlyList<int[]> rows, int extra = 0)
    {
        var longest = Math.Max(1, rows.Max(r => r.Length)) + extra;
        return torch.tensor(rows.SelectMany(r => r.Select(id => (long)id).Concat(Enumerable.Repeat(0L, longest - r.Length))).ToArray(), [rows.Count, longest]);
    }

    static torch.Tensor Mask(Random random, int batch, int length) =>
        torch.tensor(Enumerable.Range(0, batch).SelectMany(_ => { var real = random.Next(length + 1); return Enumerable.Range(0, length).Select(i => i < real); }).ToArray(), [batch, length]);

    /// <summary>
    /// The prefix-LM mask, entry by entry: an article position sees exactly the real article positions (never the
    /// title); a title position sees the real article positions and the real title positions up to itself (never a later
    /// one); a padded position sees nothing and is seen by nothing.
    /// </summary>
    [Property(MaxTest = 200)]
    public void The_prefix_lm_mask_hides_later_title_positions_and_the_title_from_the_article(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var (batch, articleLength, titleLength) = (random.Next(1, 4), random.Next(0, 7), random.Next(0, 7));
        var articleMask = Mask(random, batch, articleLength);
        var titleMask = Mask(random, batch, titleLength);
        var allowed = UniLmMask.Allowed(articleMask, titleMask);
        var length = articleLength + titleLength;
        Assert.Equal(new long[] { batch, length, length }, allowed.shape);
        if (length == 0) return;   // nothing to see (and TorchSharp cannot read an empty tensor's data)
        var real = torch.cat([articleMask, titleMask], 1).data<bool>().ToArray();
        var sees = allowed.data<bool>().ToArray();
        for (var b = 0; b < batch; b++)
            for (var i = 0; i < length; i++)
                for (var j = 0; j < length; j++)
                {
                    var bothReal = real[b * length + i] && real[b * length + j];
                    var expected = bothReal && (j < articleLength || (i >= articleLength && j <= i));
                    Assert.True(expected == sees[(b * length + i) * length + j], $"row {b}, query {i}, key {j} (article length {articleLength}): expected {expected}");
                }
    }

    /// <summary>
    /// Padding changes no real position: each row's title probabilities in a padded batch (articles and titles of other
    /// lengths, plus extra padding columns) equal the row run alone without padding, in float64 to 1e-9.
    /// </summary>
    [Property(MaxTest = 30)]
    public void Padding_never_changes_a_real_position(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = Model(seed);
        var rows = random.Next(1, 4);
        var articles = Enumerable.Range(0, rows).Select(_ => Ids(random, Vocabulary, 0, 9)).ToArray();
        var inputs = Enumerable.Range(0, rows).Select(_ => (int[])[CharacterVocabulary.Start, .. Ids(random, Vocabulary, 0, 5)]).ToArray();
        using var generator = new torch.Generator(0);
        var batch = UniLmForward.Probabilities(parameters, Padded(articles, random.Next(3)), Padded(inputs, random.Next(3)), false, 0, generator);
        for (var row = 0; row < rows; row++)
        {
            var alone = UniLmForward.Probabilities(parameters, Padded([articles[row]]), Padded([inputs[row]]), false, 0, generator);
            var real = batch[row].narrow(0, 0, inputs[row].Length);
            Assert.True(real.allclose(alone[0], 1e-9, 1e-9), $"row {row}: max difference {(real - alone[0]).abs().max().item<double>()}");
        }
    }

    /// <summary>
    /// The cached stepper equals the full pass at every step: hypotheses branch from random parents (repeats and drops,
    /// as beam search makes them) with random characters (Unknown included), over several articles (empty ones
    /// included); each step's log-probabilities equal the full pass on each row's "article [SEP] prefix" at its last
    /// position (float64, 1e-9), and its Unknown sources are the full pass's most attended Unknown.
    /// </summary>
    [Property(MaxTest = 30)]
    public void The_cached_step_equals_the_full_pass_at_every_step(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = Model(seed);
        var articles = Enumerable.Range(0, random.Next(1, 4)).Select(_ => WithUnknowns(random, Ids(random, Vocabulary, 0, 9))).ToArray();
        using var stepper = new UniLmStepper(parameters, articles);
        using var generator = new torch.Generator(0);
        var rowArticles = Enumerable.Range(0, articles.Length).ToArray();
        var prefixes = rowArticles.Select(_ => new[] { CharacterVocabulary.Start }).ToArray();
        var parents = rowArticles.Select(a => (long)a).ToArray();
        var tokens = prefixes.Select(p => p[0]).ToArray();
        using var floor = 1e-12.ToScalar();
        using var unknown = ((long)CharacterVocabulary.Unknown).ToScalar();
        for (var step = 0; step < 6; step++)
        {
            var (logProbabilities, sources) = stepper.Step(parents, tokens, rowArticles);
            var probabilities = UniLmForward.Probabilities(parameters, Padded(rowArticles.Select(a => articles[a]).ToArray()), Padded(prefixes), false, 0, generator);
            var expected = probabilities[.., -1].clamp_min(floor).log();
            Assert.True(logProbabilities.allclose(expected, 1e-9, 1e-9), $"step {step}: max difference {(logProbabilities - expected).abs().max().item<double>()}");
            var article = Padded(rowArticles.Select(a => articles[a]).ToArray());
            var weights = UniLmForward.CopyWeights(parameters, article, Padded(prefixes));
            var expectedSources = weights[.., -1].masked_fill(article.ne(unknown), Scalars.MinusOne).max(1);
            var most = expectedSources.values.data<double>().ToArray();
            var last = weights[.., -1];
            for (var row = 0; row < sources.Length; row++)
            {
                var ids = articles[rowArticles[row]];
                if (most[row] < 0)
                {
                    Assert.Equal(-1, sources[row]);
                    continue;
                }
                // The most attended Unknown, or one tied with it to float rounding (the two passes pad differently).
                Assert.True(sources[row] >= 0 && ids[sources[row]] == CharacterVocabulary.Unknown, $"step {step}, row {row}: source {sources[row]} is not an Unknown of the article");
                var weight = last[row, sources[row]].item<double>();
                Assert.True(weight >= most[row] - 1e-9, $"step {step}, row {row}: source {sources[row]} has weight {weight:R}, the most attended Unknown {expectedSources.indexes[row].item<long>()} has {most[row]:R}");
            }
            // The next hypotheses: random parents among this step's rows, random characters.
            var next = random.Next(1, 7);
            parents = Enumerable.Range(0, next).Select(_ => (long)random.Next(prefixes.Length)).ToArray();
            tokens = Enumerable.Range(0, next).Select(_ => random.Next(CharacterVocabulary.Unknown, Vocabulary)).ToArray();
            var (oldPrefixes, oldArticles) = (prefixes, rowArticles);
            prefixes = parents.Select((p, i) => (int[])[.. oldPrefixes[p], tokens[i]]).ToArray();
            rowArticles = parents.Select(p => oldArticles[p]).ToArray();
        }
    }

    /// <summary>Seed 43 once failed the exact comparison of Unknown sources (1 against 3 in row 0): kept as a case.</summary>
    [Fact]
    public void The_cached_step_equals_the_full_pass_for_seed_43() => The_cached_step_equals_the_full_pass_at_every_step(43);

    /// <summary>
    /// Beam search on the KV cache finds what re-running the whole model on every beam's prefix finds: the same ids,
    /// Unknown sources (up to a tie of two positions' copy weights) and finish, and the same score to 1e-9 (float64), for widths 1 to 4 with and without repeat
    /// blocking and length normalisation.
    /// </summary>
    /// <summary>Seed 65 failed the exact comparison of Unknown sources ([0,0,0,0,2] against [0,2,0,0,0]) at a tie: kept as a case.</summary>
    [Fact]
    public void Beam_search_on_the_cache_equals_rerunning_the_prefix_for_seed_65() => Beam_search_on_the_cache_equals_rerunning_the_prefix(65);

    [Property(MaxTest = 25)]
    public void Beam_search_on_the_cache_equals_rerunning_the_prefix(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = Model(seed);
        var article = WithUnknowns(random, Ids(random, Vocabulary, 0, 9));
        var options = new BeamSearchOptions(random.Next(1, 5), random.Next(0, 3), random.Next(3, 8), random.Next(2) == 0) { NoRepeatNgram = random.Next(0, 3) };
        var cached = UniLmDecoding.DecodeMany(parameters, [article], options)[0];
        var rerun = UniLmDecoding.DecodeByRerunningPrefix(parameters, article, options);
        Assert.Equal(rerun.Ids, cached.Ids);
        Assert.Equal(rerun.Finished, cached.Finished);
        Assert.Equal(rerun.Score, cached.Score, 1e-9);
        Assert.Equal(rerun.UnknownSources.Length, cached.UnknownSources.Length);
        // An Unknown is copied from its most attended Unknown position of the article. Two Unknown positions can tie up
        // to float64 rounding, and then the two computations may pick either: a difference is allowed only at such a tie.
        var unknownAt = rerun.Ids.Select((id, position) => (id, position)).Where(t => t.id == CharacterVocabulary.Unknown).Select(t => t.position).ToArray();
        for (var k = 0; k < unknownAt.Length; k++)
        {
            if (rerun.UnknownSources[k] == cached.UnknownSources[k]) continue;
            var weights = CopyWeightsBefore(parameters, article, rerun.Ids[..unknownAt[k]]);
            var (chosen, other) = (weights[rerun.UnknownSources[k]], weights[cached.UnknownSources[k]]);
            Assert.True(Math.Abs(chosen - other) <= 1e-9,
                $"Unknown {k}: the rerun copies position {rerun.UnknownSources[k]} (weight {chosen:R}), the cache position {cached.UnknownSources[k]} (weight {other:R}): not a tie.");
        }
    }

    /// <summary>The copy weights over the article of the position that writes the title's next character after <paramref name="prefix"/>.</summary>
    static double[] CopyWeightsBefore(UniLmParams parameters, int[] article, int[] prefix)
    {
        using var scope = torch.NewDisposeScope();
        var articleIds = torch.tensor(article.Select(id => (long)id).ToArray(), [1, article.Length]);
        var input = torch.tensor(new[] { (long)CharacterVocabulary.Start }.Concat(prefix.Select(id => (long)id)).ToArray(), [1, prefix.Length + 1]);
        return UniLmForward.CopyWeights(parameters, articleIds, input)[0, -1].to(torch.float64).data<double>().ToArray();
    }

    /// <summary>Greedy decoding of the UniLM is beam search of width 1 and decodes several articles as each alone.</summary>
    [Property(MaxTest = 15)]
    public void Batched_decoding_equals_each_article_alone(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = Model(seed);
        var articles = Enumerable.Range(0, random.Next(2, 5)).Select(_ => Ids(random, Vocabulary, 0, 9)).ToArray();
        var options = new BeamSearchOptions(random.Next(1, 4), 1, 6, false);
        var together = UniLmDecoding.DecodeMany(parameters, articles, options);
        for (var i = 0; i < articles.Length; i++)
        {
            var alone = UniLmDecoding.DecodeMany(parameters, [articles[i]], options)[0];
            Assert.Equal(alone.Ids, together[i].Ids);
            Assert.Equal(alone.Score, together[i].Score, 1e-9);
        }
    }
}
