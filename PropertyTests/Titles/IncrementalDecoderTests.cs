using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;
using Functional.Models.Text;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Titles;

public sealed class IncrementalDecoderTests
{
    const int Vocabulary = 17;

    /// <summary>
    /// The fast step on prepared weights and articles gives the reference <see cref="TitleDecoder.Step"/>'s
    /// log-probabilities and state, for random models (one or two decoder layers, with or without a query bias),
    /// articles (empty ones included), states and characters, rows gathered from several articles or repeated from one.
    /// </summary>
    [Property(MaxTest = 40)]
    public void The_prepared_step_equals_the_reference_step(int seed, bool twoLayers, bool queryBias, bool oneArticle)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = Model(seed, Vocabulary, Tiny with { DecoderLayers = twoLayers ? 2 : 1 });
        using var generator = new torch.Generator((ulong)(uint)seed + 1);
        if (queryBias)
            parameters = parameters with { AttentionQuery = parameters.AttentionQuery with { Bias = torch.randn(parameters.AttentionQuery.Weight.shape[0], generator: generator) } };
        var articles = Enumerable.Range(0, oneArticle ? 1 : 3).Select(_ => Ids(random, Vocabulary, 0, 9)).ToArray();
        var encoded = TitleGeneration.Encode(parameters, articles);
        var rows = random.Next(1, 7);
        var articleOfRow = torch.tensor(Enumerable.Range(0, rows).Select(_ => (long)random.Next(articles.Length)).ToArray());
        var previous = torch.tensor(Enumerable.Range(0, rows).Select(_ => (long)random.Next(1, Vocabulary)).ToArray());
        long[] shape = [parameters.Decoder.Layers.Length, rows, Tiny.DecoderHidden];
        var state = new LstmState(torch.randn(shape, generator: generator), torch.randn(shape, generator: generator));

        var reference = TitleDecoder.Step(parameters, encoded.Select(articleOfRow), previous, state);
        var prepared = IncrementalDecoder.PrepareArticles(parameters, encoded);
        var fast = IncrementalDecoder.Step(IncrementalDecoder.Prepare(parameters), oneArticle ? prepared.Repeat(rows) : prepared.Select(articleOfRow), previous, state);

        AssertClose(reference.LogProbabilities, fast.LogProbabilities, "log-probabilities");
        AssertClose(reference.State.Hidden, fast.State.Hidden, "hidden state");
        AssertClose(reference.State.Cell, fast.State.Cell, "cell state");
    }

    /// <summary>
    /// The fast step names the reference step's Unknown source in every row: a position of the row's article that holds
    /// <see cref="CharacterVocabulary.Unknown"/>, or -1 exactly when it holds none. In float64, so float rounding cannot
    /// flip a near tie between two positions.
    /// </summary>
    [Property(MaxTest = 40)]
    public void The_prepared_step_names_the_reference_steps_most_attended_unknown_position(int seed, bool oneArticle)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var parameters = Tree.Map(Model(seed, Vocabulary), leaf => leaf.to(torch.float64));
        var articles = Enumerable.Range(0, oneArticle ? 1 : 4).Select(_ => WithUnknowns(random, Ids(random, Vocabulary, 0, 9))).ToArray();
        var encoded = TitleGeneration.Encode(parameters, articles);
        var rows = random.Next(1, 7);
        var rowArticles = Enumerable.Range(0, rows).Select(_ => (long)random.Next(articles.Length)).ToArray();
        var articleOfRow = torch.tensor(rowArticles);
        var previous = torch.tensor(Enumerable.Range(0, rows).Select(_ => (long)random.Next(1, Vocabulary)).ToArray());
        using var generator = new torch.Generator((ulong)(uint)seed + 1);
        long[] shape = [parameters.Decoder.Layers.Length, rows, Tiny.DecoderHidden];
        var state = new LstmState(torch.randn(shape, dtype: torch.float64, generator: generator), torch.randn(shape, dtype: torch.float64, generator: generator));

        var reference = TitleDecoder.Step(parameters, encoded.Select(articleOfRow), previous, state);
        var prepared = IncrementalDecoder.PrepareArticles(parameters, encoded);
        var fast = IncrementalDecoder.Step(IncrementalDecoder.Prepare(parameters), oneArticle ? prepared.Repeat(rows) : prepared.Select(articleOfRow), previous, state);

        var sources = reference.UnknownSource.data<long>().ToArray();
        Assert.Equal(sources, fast.UnknownSource.data<long>().ToArray());
        for (var row = 0; row < rows; row++)
        {
            var article = articles[rowArticles[row]];
            if (sources[row] == -1) Assert.DoesNotContain(CharacterVocabulary.Unknown, article);
            else Assert.Equal(CharacterVocabulary.Unknown, article[sources[row]]);
        }
    }

    [Fact]
    public void The_prepared_step_names_a_state_of_the_wrong_shape()
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Model(1, Vocabulary);
        var prepared = IncrementalDecoder.PrepareArticles(parameters, TitleGeneration.Encode(parameters, [[5, 6, 7]]));
        var state = TitleDecoder.InitialState(parameters, 2);
        var error = Assert.Throws<LayerInputException>(() => IncrementalDecoder.Step(IncrementalDecoder.Prepare(parameters), prepared, torch.tensor(new long[] { 1 }), state));
        Assert.Contains("[1, 1, 8]", error.Message);
    }

    static void AssertClose(torch.Tensor expected, torch.Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, 1e-5, 1e-5), $"{what}: max difference {(actual - expected).abs().max().item<float>()}");
    }
}
