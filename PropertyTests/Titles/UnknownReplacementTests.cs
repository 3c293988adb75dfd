using Functional.Core;
using Functional.Models.Text;
using Functional.Models.Titles;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Titles;

/// <summary>
/// UNK replacement by attention on a hand-built model whose attention is forced: a title that writes Unknown reads as
/// the article character at the Unknown position the step attended most, on every decoding path.
/// </summary>
public sealed class UnknownReplacementTests
{
    /// <summary>
    /// A tiny model that always writes Unknown (the writing logit of Unknown is 50, the gate writes with probability 1)
    /// and whose attention over "甲?乙?" (? unknown) prefers the Unknown after 甲 for a positive
    /// <paramref name="queryBias"/> and the one after 乙 for a negative one. The encoder's forward direction keeps
    /// h ≈ tanh(tanh(e + h_prev)) in its first unit, with embedding e = +2 for 甲, −2 for 乙 and 0 for Unknown, so
    /// the memory's first unit is about 0.75, 0.56, −0.71, −0.55 along "甲?乙?" and every other unit is 0; the query is
    /// its bias alone (weight 0), which scores position j by queryBias · memory[j, 0] / √12. The overall most attended
    /// position is a known character (甲 or 乙), so a replacement that ignored the Unknown mask would fail too.
    /// </summary>
    static TrainedTitleModel Forced(float queryBias)
    {
        var vocabulary = CharacterVocabulary.Build(["甲乙"], 1);
        var options = TitleTesting.Tiny;
        using var generator = new torch.Generator(1);
        var zeros = Tree.Map(TitleModel.Init(generator, vocabulary.Size, options, torch.CPU), leaf => torch.zeros_like(leaf));
        var (e, h) = (options.EmbeddingSize, options.EncoderHidden);
        var embedding = Filled([vocabulary.Size, e], (vocabulary.Encode("甲")[0], 0, 2f), (vocabulary.Encode("乙")[0], 0, -2f));
        // Gates i, f, g, o: input and output gates open, forget gate shut, the first unit's candidate reads e and h_prev.
        var bias = Filled([4 * h], [.. Enumerable.Range(0, h).SelectMany(u => new[] { (u, 0, 20f), (h + u, 0, -20f), (3 * h + u, 0, 20f) })]);
        var forward = new RecurrentCellParams(Filled([4 * h, e], (2 * h, 0, 1f)), Filled([4 * h, h], (2 * h, 0, 1f)), bias, torch.zeros(4 * h));
        var encoder = new LstmParams([zeros.Encoder.Layers[0] with { Forward = forward }]);
        var query = new LinearParams(zeros.AttentionQuery.Weight, Filled([2 * h], (0, 0, queryBias)));
        var output = zeros.Output with { Bias = Filled([vocabulary.Size], (CharacterVocabulary.Unknown, 0, 50f)) };
        var gate = zeros.CopyGate with { Bias = Filled([1], (0, 0, 50f)) };
        var parameters = zeros with { Embedding = new EmbeddingParams(embedding), Encoder = encoder, AttentionQuery = query, Output = output, CopyGate = gate };
        return new TrainedTitleModel(parameters, vocabulary, options);
    }

    /// <summary>Zeros of <paramref name="shape"/> (rank 1 or 2) with the given (row, column, value) entries set; rank 1 reads the row.</summary>
    static torch.Tensor Filled(long[] shape, params (int Row, int Column, float Value)[] entries)
    {
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        foreach (var (row, column, value) in entries) values[shape.Length == 1 ? row : row * shape[1] + column] = value;
        return torch.tensor(values, shape);
    }

    /// <summary>One character: the end is forbidden at the first step and the title is cut after it.</summary>
    static readonly BeamSearchOptions OneCharacter = new(4, 1, 1, false);

    [Theory]
    [InlineData(10f, "鑫", 1)]
    [InlineData(-10f, "淼", 3)]
    public void The_unknown_a_title_writes_reads_as_the_most_attended_unknown_article_character(float queryBias, string expected, int position)
    {
        using var scope = torch.NewDisposeScope();
        var model = Forced(queryBias);
        // White space is not a character: the ids and the characters stay aligned.
        const string article = "甲 鑫\n乙淼";
        var ids = TitleGenerator.EncodeArticle(model, article);
        Assert.Equal(new[] { model.Vocabulary.Encode("甲")[0], CharacterVocabulary.Unknown, model.Vocabulary.Encode("乙")[0], CharacterVocabulary.Unknown }, ids);

        var beam = TitleGenerator.Generate(model, article, OneCharacter);
        var greedy = GreedyDecoding.Decode(model.Parameters, [ids], new GreedyOptions(1, 1)).Single();
        var sampled = TitleSampling.Decode(model.Parameters, [ids], SamplingOptions.Default with { MinLength = 1, MaxLength = 1 }, new torch.Generator(3)).Single();
        var streamed = BatchedGeneration.Generate(model, ["甲乙", article], OneCharacter, 2, null).ToArray();
        var evaluated = TitleEvaluation.Titles(model, [new TitlePair("", article)], TitleEvaluationOptions.Default with { MaxLength = 1 });
        var evaluatedByBeam = TitleEvaluation.Titles(model, [new TitlePair("", article)], TitleEvaluationOptions.Default with { MaxLength = 1, BeamWidth = 4 });

        Assert.Equal(new[] { CharacterVocabulary.Unknown }, beam.Decoded.Ids);
        Assert.Equal(new[] { position }, beam.Decoded.UnknownSources);
        Assert.Equal(expected, beam.Title);
        Assert.Equal(new[] { position }, greedy.UnknownSources);
        Assert.Equal(new[] { position }, sampled.UnknownSources);
        Assert.Equal(expected, streamed[1].Title!.Title);
        Assert.Equal(new[] { expected }, evaluated);
        Assert.Equal(new[] { expected }, evaluatedByBeam);
    }

    [Fact]
    public void An_unknown_written_for_an_article_without_unknown_characters_stays_a_square()
    {
        using var scope = torch.NewDisposeScope();
        var model = Forced(10f);

        var title = TitleGenerator.Generate(model, "甲乙", OneCharacter);
        var greedy = GreedyDecoding.Decode(model.Parameters, [TitleGenerator.EncodeArticle(model, "甲乙")], new GreedyOptions(1, 1)).Single();

        Assert.Equal(new[] { CharacterVocabulary.Unknown }, title.Decoded.Ids);
        Assert.Equal(new[] { -1 }, title.Decoded.UnknownSources);
        Assert.Equal("□", title.Title);
        Assert.Equal(new[] { -1 }, greedy.UnknownSources);
    }

    [Fact]
    public void An_unknown_character_beyond_the_characters_the_model_reads_is_never_a_source()
    {
        using var scope = torch.NewDisposeScope();
        var model = Forced(10f);
        // The tiny model reads 16 characters: the Unknown at position 20 is cut away with its id.
        var article = new string('甲', 16) + "乙乙乙乙鑫";

        var title = TitleGenerator.Generate(model, article, OneCharacter);

        Assert.Equal(new[] { -1 }, title.Decoded.UnknownSources);
        Assert.Equal("□", title.Title);
    }
}
