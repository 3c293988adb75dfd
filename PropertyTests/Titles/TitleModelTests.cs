using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;
using Functional.Models.Text;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Titles;

public sealed class TitleModelTests
{
    const int Vocabulary = 15;

    [Property(MaxTest = 10)]
    public void The_model_passes_the_mask_invariance_check_padding_in_the_article_changes_nothing(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        // The article as embedded characters, each read as the id its largest feature names (so ids move with the
        // content, and padding carries junk ids); the decoder reads a fixed title; the output is the title's
        // log-probabilities, copying included.
        MaskedSequence Layer(TitleModelParams p, torch.Tensor values, torch.Tensor mask)
        {
            var batch = values.shape[0];
            using var four = 4.ToScalar();
            using var modulus = (Vocabulary - 4).ToScalar();
            var ids = values.argmax(-1).add(four, Scalars.One);
            var encoded = TitleEncoder.FromEmbedded(p, values, mask, ids);
            var title = Ranges.Of(4 * batch, torch.CPU).reshape(batch, 4).remainder(modulus).add(four, Scalars.One);
            using var generator = new torch.Generator(0);
            var logProbabilities = TitleDecoder.Apply(p, encoded, title, false, 0, generator, Capture.None);
            return new MaskedSequence(logProbabilities, torch.ones([batch, 4], dtype: torch.@bool));
        }
        var report = MaskInvariance.Check(Layer, parameters, MaskInvarianceOptions.Default with { Cases = 4, Features = Tiny.EmbeddingSize, Seed = seed, MaxLength = 6 });
        Assert.True(report.Passed, report.ToString());
    }

    [Property(MaxTest = 10)]
    public void Extra_padding_after_the_articles_changes_neither_the_loss_nor_the_accuracy(int seed, byte extra)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var random = new Random(seed);
        var pairs = Enumerable.Range(0, 3).Select(_ => new EncodedTitlePair(Ids(random, Vocabulary, 0, 8), Ids(random, Vocabulary, 0, 5))).ToArray();
        using var tight = TitleBatches.Collate(pairs, 1);
        using var loose = TitleBatches.Collate(pairs, 9 + extra % 20);
        using var generator = new torch.Generator(0);

        var first = TitleLoss.Apply(parameters, tight, Tiny, false, generator, Capture.None);
        var second = TitleLoss.Apply(parameters, loose, Tiny, false, generator, Capture.None);

        Assert.True(first.Loss.isfinite().item<bool>());
        Assert.Equal(first.Loss.item<float>(), second.Loss.item<float>(), 5);
        Assert.Equal(first.Accuracy.item<float>(), second.Accuracy.item<float>(), 6);
    }

    [Property(MaxTest = 20)]
    public void Label_smoothing_mixes_the_target_cross_entropy_with_the_uniform_one_in_training_only(int seed, byte share)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        var random = new Random(seed);
        var pairs = Enumerable.Range(0, 3).Select(_ => new EncodedTitlePair(Ids(random, Vocabulary, 0, 8), Ids(random, Vocabulary, 0, 5))).ToArray();
        using var batch = TitleBatches.Collate(pairs, 1);
        var epsilon = share / 256.0;
        TitleLossResult Loss(bool training, double smoothing)
        {
            using var generator = new torch.Generator(7);
            // Dropout 0, so training and evaluation differ only in the smoothing.
            return TitleLoss.Apply(parameters, batch, Tiny with { Dropout = 0 }, training, generator, Capture.None, smoothing);
        }

        var plain = Loss(true, 0).Loss.item<float>();
        var smoothed = Loss(true, epsilon).Loss.item<float>();
        var evaluated = Loss(false, epsilon).Loss.item<float>();
        // The uniform cross-entropy by hand: the mean over the vocabulary of -log p, over the real target positions.
        using var generator = new torch.Generator(7);
        var article = TitleEncoder.Apply(parameters, batch.Article, false, 0, generator);
        var logProbabilities = Masks.RealRows(TitleDecoder.Apply(parameters, article, batch.DecoderInput, false, 0, generator, Capture.None), batch.TargetMask);
        var uniform = -logProbabilities.mean([-1]).mean().item<float>();

        Assert.Equal(plain, Loss(false, 0).Loss.item<float>());
        Assert.Equal(plain, evaluated);
        Assert.Equal((1 - epsilon) * plain + epsilon * uniform, smoothed, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss(true, 1));
    }

    [Fact]
    public void A_tiny_model_overfits_20_pairs_to_their_exact_titles()
    {
        using var scope = torch.NewDisposeScope();
        const int vocabulary = 30;
        var options = Tiny with { EmbeddingSize = 16, EncoderHidden = 16, DecoderHidden = 32, OutputHidden = 32 };
        var random = new Random(5);
        var pairs = Enumerable.Range(0, 20).Select(_ => new EncodedTitlePair(Ids(random, vocabulary, 4, 10), Ids(random, vocabulary, 2, 5))).ToArray();
        using var batch = TitleBatches.Collate(pairs, 1);
        using var generator = new torch.Generator(1);
        var parameters = TitleModel.Init(generator, vocabulary, options, torch.CPU);
        var optimizer = Optimizer.Adam(0.02);
        var state = Optimizer.Init(optimizer, parameters);
        for (var step = 0; step < 300; step++)
        {
            var next = Memory.Scoped(() =>
            {
                var gradient = Autodiff.ValueAndGrad(p => TitleLoss.Apply(p, batch, options, true, generator, Capture.None).Loss, parameters).Gradient;
                return Optimizer.Step(optimizer, gradient, state, parameters);
            });
            (parameters, state) = (next.Parameters, next.State);
        }

        var titles = GreedyDecoding.Decode(parameters, pairs.Select(p => p.Article).ToArray(), new GreedyOptions(0, 8));
        Assert.Equal(pairs.Select(p => string.Join(",", p.Title)), titles.Select(t => string.Join(",", t.Ids)));
        Assert.All(titles, t => Assert.True(t.Finished));
    }

    [Fact]
    public void Bad_input_gives_a_title_or_a_clear_error()
    {
        using var scope = torch.NewDisposeScope();
        var vocabulary = CharacterVocabulary.Build(["今天天气很好我们去公园散步吧"], 1);
        var model = new TrainedTitleModel(Model(2, vocabulary.Size), vocabulary, Tiny);
        var beam = BeamSearchOptions.Default with { MaxLength = 6 };

        var empty = Assert.Throws<ArgumentException>(() => TitleGenerator.Generate(model, " \n\t", beam));
        Assert.Contains("empty", empty.Message);

        var unknown = TitleGenerator.Generate(model, "ABCXYZ☃", beam);
        Assert.InRange(unknown.Title.Length, 0, 6);
        Assert.Equal(7, unknown.UsedCharacters);

        var longText = string.Concat(Enumerable.Repeat("今天天气很好", 50));
        var cut = TitleGenerator.Generate(model, longText, beam);
        Assert.Equal(300, cut.ArticleCharacters);
        Assert.Equal(Tiny.MaxArticleLength, cut.UsedCharacters);
        Assert.InRange(cut.Decoded.Ids.Length, 0, 6);

        var outOfVocabulary = Assert.Throws<ArgumentException>(() => BeamSearch.Decode(model.Parameters, [vocabulary.Size + 3], beam));
        Assert.Contains("vocabulary", outOfVocabulary.Message);
    }

    [Fact]
    public void A_saved_model_loads_back_with_the_same_parameters_and_titles()
    {
        using var scope = torch.NewDisposeScope();
        var vocabulary = CharacterVocabulary.Build(["今天天气很好我们去公园散步吧"], 1);
        var model = new TrainedTitleModel(Model(4, vocabulary.Size), vocabulary, Tiny);
        var directory = Path.Combine(Path.GetTempPath(), "title-model-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(directory);
            var loaded = TrainedTitleModel.Load(directory, torch.CPU);
            Assert.Equal(model.Options, loaded.Options);
            Assert.True(Tree.Leaves(model.Parameters).Zip(Tree.Leaves(loaded.Parameters)).All(p => p.Item1.eq(p.Item2).all().item<bool>()));
            Assert.Equal(TitleGenerator.Generate(model, "今天我们去公园", BeamSearchOptions.Default).Title, TitleGenerator.Generate(loaded, "今天我们去公园", BeamSearchOptions.Default).Title);
            var missing = Assert.Throws<FileNotFoundException>(() => TrainedTitleModel.Load(directory + "-missing", torch.CPU));
            Assert.Contains("titles train", missing.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_attention_weights_of_each_title_step_sum_to_one_over_the_article()
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(6, Vocabulary);
        var weights = TitleAttention.Weights(parameters, [5, 6, 7, 8], [9, 10]);
        Assert.Equal(3, weights.GetLength(0));
        Assert.Equal(4, weights.GetLength(1));
        for (var row = 0; row < 3; row++)
            Assert.Equal(1.0, Enumerable.Range(0, 4).Sum(column => weights[row, column]), 5);
    }
}

public sealed class CopyPriorInitTests
{
    [Fact]
    public void The_initial_prior_alone_predicts_titles_better_than_uniform_and_favours_characters_of_the_article()
    {
        using var scope = torch.NewDisposeScope();
        const int vocabulary = 20;
        var random = new Random(3);
        // Titles copy characters of their article, plus the frequent character 4.
        var pairs = Enumerable.Range(0, 200).Select(_ =>
        {
            var article = TitleTesting.Ids(random, vocabulary, 3, 8);
            return new EncodedTitlePair(article, article.Take(2).Append(4).ToArray());
        }).ToArray();
        var prior = CopyPriorInit.FromPairs(pairs, vocabulary, 0.5, torch.CPU);
        using var batch = TitleBatches.Collate(pairs, 1);
        var present = TitleEncoder.Present(batch.Article, vocabulary, torch.float32);
        var logits = (present * prior.Scale).add(prior.Bias, Scalars.One).div(Scalars.Two).unsqueeze(1).expand(-1, batch.Target.shape[1], -1);
        var loss = Masks.CrossEntropy(logits, batch.Target, batch.TargetMask).item<float>();
        Assert.True(loss < Math.Log(vocabulary) - 0.5, $"prior-only loss {loss} vs uniform {Math.Log(vocabulary)}");
        Assert.True(prior.Scale[10].item<float>() > 0, "a copied character gains from being in the article");
        Assert.True(prior.Bias[4].item<float>() > prior.Bias[10].item<float>(), "the frequent title character has the larger bias");
    }
}
