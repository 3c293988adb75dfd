using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;
using Functional.Models.Text;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Titles;

/// <summary>Laws of the pointer-generator output: a distribution, copying by attention, exact gradients.</summary>
public sealed class CopyMechanismTests
{
    const int Vocabulary = 15;

    /// <summary>A batch of random pairs whose first article is empty (it has nothing to copy).</summary>
    static TitleBatch Batch(Random random) =>
        TitleBatches.Collate([new EncodedTitlePair([], Ids(random, Vocabulary, 1, 4)),
            .. Enumerable.Range(0, 3).Select(_ => new EncodedTitlePair(Ids(random, Vocabulary, 1, 8), Ids(random, Vocabulary, 0, 4)))], 1);

    [Property(MaxTest = 30)]
    public void Every_next_character_distribution_sums_to_one_empty_articles_included(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        using var batch = Batch(new Random(seed));
        using var generator = new torch.Generator(0);

        var article = TitleEncoder.Apply(parameters, batch.Article, false, 0, generator);
        var logProbabilities = TitleDecoder.Apply(parameters, article, batch.DecoderInput, false, 0, generator, Capture.None);
        var totals = logProbabilities.to(torch.float64).exp().sum(-1);

        using var padding = CharacterVocabulary.Padding.ToScalar();
        var real = batch.DecoderInput.ne(padding);
        var error = totals.sub(Scalars.One).abs().masked_fill(real.logical_not(), Scalars.Zero).max().item<double>();
        Assert.True(error < 1e-5, $"a distribution sums to 1 ± {error}");
    }

    [Property(MaxTest = 30)]
    public void With_the_gate_shut_each_character_gets_the_attention_on_its_article_positions(int seed)
    {
        using var scope = torch.NewDisposeScope();
        // In float64, so the law holds to 1e-9. Write probability sigmoid(-40) ≈ 4e-18: everything is copied.
        var parameters = Tree.Map(Model(seed, Vocabulary), leaf => leaf.to(torch.float64));
        using var shut = (-40.0).ToScalar();
        var copying = parameters with { CopyGate = new LinearParams(torch.zeros_like(parameters.CopyGate.Weight), torch.full(1, shut, dtype: torch.float64)) };
        using var batch = Batch(new Random(seed));
        using var generator = new torch.Generator(0);
        using var capture = Capture.Of(TitleDecoder.AttentionCapture);

        var article = TitleEncoder.Apply(copying, batch.Article, false, 0, generator);
        var probabilities = TitleDecoder.Apply(copying, article, batch.DecoderInput, false, 0, generator, capture).to(torch.float64).exp();
        var attention = capture[TitleDecoder.AttentionCapture].to(torch.float64);

        Assert.Equal(new long[] { batch.Article.shape[0], batch.DecoderInput.shape[1], batch.Article.shape[1] }, attention.shape);
        var ids = batch.Article.data<long>().ToArray();
        var inputs = batch.DecoderInput.data<long>().ToArray();
        var weights = attention.contiguous().data<double>().ToArray();
        var got = probabilities.contiguous().data<double>().ToArray();
        var (rows, steps, length) = ((int)batch.Article.shape[0], (int)batch.DecoderInput.shape[1], (int)batch.Article.shape[1]);
        for (var row = 1; row < rows; row++)
            for (var step = 0; step < steps; step++)
            {
                if (inputs[row * steps + step] == CharacterVocabulary.Padding) continue;
                for (var character = 0; character < Vocabulary; character++)
                {
                    var expected = Enumerable.Range(0, length).Where(j => ids[row * length + j] == character && character != CharacterVocabulary.Padding)
                        .Sum(j => weights[(row * steps + step) * length + j]);
                    var actual = got[(row * steps + step) * Vocabulary + character];
                    Assert.True(Math.Abs(expected - actual) < 1e-9, $"row {row}, step {step}, character {character}: {actual}, attention on it {expected}");
                }
            }
    }

    [Property(MaxTest = 4)]
    public void The_gradient_of_the_loss_matches_finite_differences(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(seed, Vocabulary);
        using var batch = Batch(new Random(seed));

        var report = GradCheck.Run(p =>
        {
            using var generator = new torch.Generator(0);
            return TitleLoss.Apply(p, batch, Tiny, false, generator, Capture.None).Loss;
        }, parameters, GradCheckOptions.Default with { MaxElementsPerLeaf = 6, Seed = seed });

        Assert.True(report.Passed, report.ToString());
    }
}
