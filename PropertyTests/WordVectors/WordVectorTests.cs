using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using Functional.Models.Word2Vec;

namespace Functional.PropertyTests.WordVectors;

public sealed class WordVectorTests
{
    [Fact]
    public void Words_are_lower_cased_runs_of_letters()
    {
        Assert.Equal(["the", "whale", "s", "café", "was", "white"], Words.Of("The Whale's café—was WHITE!\r\n"));
    }

    [Fact]
    public void The_vocabulary_orders_by_count_then_by_word_and_drops_rare_words()
    {
        var vocabulary = WordVocabulary.Build(["b", "a", "c", "a", "b", "d", "a"], minimumCount: 2);

        Assert.Equal(["a", "b"], vocabulary.Words);
        Assert.Equal([3L, 2], vocabulary.Counts);
        Assert.Equal([1, 0, 0, 1, 0], vocabulary.Encode(["b", "a", "a", "c", "b", "a"]).Take(5));
        Assert.Equal(-1, vocabulary.Id("c"));
    }

    [Fact]
    public void Negatives_follow_the_unigram_distribution_to_the_power_three_quarters()
    {
        var corpus = Enumerable.Range(0, 4).SelectMany(word => Enumerable.Repeat($"w{word}", (int)Math.Pow(10, word))).ToArray();
        var vocabulary = WordVocabulary.Build(corpus, minimumCount: 1);
        var sampler = new SkipGramSampler(vocabulary, subsample: 1e-3);
        var random = new Random(1);

        var draws = Enumerable.Range(0, 200_000).Select(_ => sampler.Negative(random)).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count() / 200_000.0);

        var weights = vocabulary.Counts.Select(c => Math.Pow(c, 0.75)).ToArray();
        for (var id = 0; id < vocabulary.Size; id++)
            Assert.InRange(draws.GetValueOrDefault(id), weights[id] / weights.Sum() - 0.005, weights[id] / weights.Sum() + 0.005);
    }

    [Fact]
    public void Subsampling_keeps_rare_words_and_thins_frequent_ones_by_the_word2vec_formula()
    {
        var corpus = Enumerable.Repeat("the", 99_900).Concat(Enumerable.Repeat("whale", 100)).ToArray();
        var vocabulary = WordVocabulary.Build(corpus, minimumCount: 1);
        var sampler = new SkipGramSampler(vocabulary, subsample: 1e-3);

        Assert.Equal(Math.Sqrt(1e-3 / 0.999) + 1e-3 / 0.999, sampler.KeepProbability(vocabulary.Id("the")), 12);
        Assert.Equal(1.0, sampler.KeepProbability(vocabulary.Id("whale")));
        var kept = sampler.Subsample(vocabulary.Encode(corpus), new Random(2));
        Assert.InRange(kept.Count(id => id == vocabulary.Id("the")), 99_900 * 0.030, 99_900 * 0.036);
        Assert.Equal(100, kept.Count(id => id == vocabulary.Id("whale")));
    }

    [Property(MaxTest = 200)]
    public void Spearman_is_invariant_under_increasing_transforms_and_flips_sign_under_decreasing_ones(int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, random.Next(3, 30)).Select(_ => (double)random.Next(10)).ToArray();
        var y = x.Select(v => v + random.Next(5)).ToArray();
        if (x.Distinct().Count() < 2 || y.Distinct().Count() < 2) return;

        var rho = WordEmbeddingEvaluation.Spearman(x, y);

        Assert.Equal(rho, WordEmbeddingEvaluation.Spearman(x.Select(v => Math.Exp(v)).ToArray(), y), 12);
        Assert.Equal(-rho, WordEmbeddingEvaluation.Spearman(x.Select(v => -v * v * v).ToArray(), y), 12);
        Assert.Equal(1.0, WordEmbeddingEvaluation.Spearman(x, x), 12);
        Assert.InRange(rho, -1 - 1e-12, 1 + 1e-12);
    }

    [Fact]
    public void Spearman_gives_ties_their_mean_rank()
    {
        // Ranks [1, 2.5, 2.5, 4] against [1, 2, 3, 4]: correlation 0.9486832980505138 (= 3 / √10).
        Assert.Equal(3 / Math.Sqrt(10), WordEmbeddingEvaluation.Spearman([1, 2, 2, 3], [1, 2, 3, 4]), 12);
    }

    [Fact]
    public void Vectors_survive_the_word2vec_text_format_and_neighbours_exclude_the_word()
    {
        var vectors = new Functional.Models.Word2Vec.WordVectors(["a", "b", "c"], torch.tensor(new[] { 1f, 0f, 0.9f, 0.1f, -1f, 0.5f }, [3, 2]));
        var path = Path.GetTempFileName();
        try
        {
            vectors.Save(path);
            var loaded = Functional.Models.Word2Vec.WordVectors.Load(path);

            Assert.Equal(vectors.Words, loaded.Words);
            Assert.True(Same.Bitwise(vectors.Vectors, loaded.Vectors));
            Assert.Equal(["b", "c"], loaded.Nearest("a", 5).Select(n => n.Word));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Training_separates_two_topics_that_never_share_a_window()
    {
        var random = new Random(3);
        string[] Sentence(string topic) => Enumerable.Range(0, 12).Select(_ => $"{topic}{random.Next(6)}").ToArray();
        var corpus = Enumerable.Range(0, 3000).SelectMany(i => Sentence(i % 2 == 0 ? "sea" : "land").Append("|").Append("|").Append("|").Append("|").Append("|").Append("|")).ToArray();
        var vocabulary = WordVocabulary.Build(corpus, minimumCount: 1);
        var options = SkipGramOptions.Default with { Dimension = 16, Epochs = 2, Threads = 1, Subsample = 1 };

        var trained = SkipGramTrainer.Train(vocabulary.Encode(corpus), vocabulary, options, _ => { });

        var vectors = new Functional.Models.Word2Vec.WordVectors(vocabulary.Words, trained.Input);
        var within = Enumerable.Range(1, 5).Average(i => vectors.Similarity("sea0", $"sea{i}")!.Value);
        var across = Enumerable.Range(0, 6).Average(i => vectors.Similarity("sea0", $"land{i}")!.Value);
        Assert.True(within > across + 0.3, $"within {within:F3}, across {across:F3}");
    }

    [Fact]
    public void The_autodiff_twin_separates_the_same_two_topics()
    {
        var random = new Random(4);
        string[] Sentence(string topic) => Enumerable.Range(0, 12).Select(_ => $"{topic}{random.Next(6)}").ToArray();
        var corpus = Enumerable.Range(0, 1500).SelectMany(i => Sentence(i % 2 == 0 ? "sea" : "land").Concat(Enumerable.Repeat("|", 6))).ToArray();
        var vocabulary = WordVocabulary.Build(corpus, minimumCount: 1);
        var options = SkipGramOptions.Default with { Dimension = 16, Epochs = 2, Threads = 1, Subsample = 1, LearningRate = 0.02 };

        var trained = SkipGramAutodiffTrainer.Train(vocabulary.Encode(corpus), vocabulary, options, batchSize: 64, wordLimit: null, _ => { });

        var vectors = new Functional.Models.Word2Vec.WordVectors(vocabulary.Words, trained.Input);
        var within = Enumerable.Range(1, 5).Average(i => vectors.Similarity("sea0", $"sea{i}")!.Value);
        var across = Enumerable.Range(0, 6).Average(i => vectors.Similarity("sea0", $"land{i}")!.Value);
        Assert.True(within > across + 0.3, $"within {within:F3}, across {across:F3}");
    }

    [Fact]
    public void The_gutenberg_books_load_with_their_checksums_and_a_missing_folder_says_where_they_come_from()
    {
        var words = EnglishBooksCorpus.Load(SharedData.Folder("gutenberg-nltk-en"));

        Assert.InRange(words.Length, 1_050_000, 1_100_000);
        Assert.Contains("Gutenberg", Assert.Throws<FileNotFoundException>(() => EnglishBooksCorpus.Load("/nonexistent")).Message);
    }
}
