using FsCheck.Xunit;
using Functional.Core;
using Functional.Inference.Titles;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Models.Titles.UniLm;
using Functional.Onnx;
using Functional.PropertyTests.CommandLine;
using Functional.PropertyTests.Titles;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// The UniLM title model's exported graphs (<see cref="UniLmOnnx"/>) step as <see cref="UniLmStepper"/> does (log-probabilities
/// to 1e-5 and the same Unknown sources, several steps, hypotheses branching from random parents), over random widths,
/// heads, 1–2 blocks and padded articles (empty and of one character included); an exported UniLM decoded on ONNX Runtime
/// (<see cref="OnnxTitleModel"/>) gives libtorch's titles for greedy and beam search; a manifest of another kind than its
/// graphs is refused naming the file.
/// </summary>
public sealed class UniLmOnnxTests
{
    const string Pool = "新华社北京月日电记者从国家发展改革委获悉今年前三季度我国经济运行总体平稳中有进稳";

    /// <summary>A random float32 UniLM: width 16 or 32, 1, 2 or 4 heads, 1–2 blocks, a random copy gate and prior (so copying and writing both matter).</summary>
    static UniLmParams Parameters(int seed, int vocabulary, Random random)
    {
        using var generator = new torch.Generator((ulong)(uint)seed);
        var width = random.Next(2) == 0 ? 16 : 32;
        var options = TitleTesting.Tiny with { Kind = TitleModelKinds.UniLm, EmbeddingSize = width, DecoderLayers = random.Next(1, 3), OutputHidden = random.Next(8, 40) };
        var parameters = UniLmModel.Init(generator, vocabulary, options, torch.CPU);
        var heads = new[] { 1, 2, 4 }[random.Next(3)];
        var stack = TransformerStack.Init(generator, options.DecoderLayers, width, heads, options.OutputHidden, swiGlu: false, RotarySettings.Default,
            new TransformerBlockSettings(true, Activation.Gelu, 0, 0), finalNorm: true, torch.CPU);
        using var tenth = 0.1.ToScalar();
        var prior = new CopyPriorParams(torch.rand(vocabulary, generator: generator).mul(Scalars.Two), torch.randn(vocabulary, generator: generator).mul(tenth));
        var gate = new LinearParams(torch.randn(parameters.CopyGate.Weight.shape, generator: generator).mul(Scalars.Half), torch.randn(1, generator: generator));
        return parameters with { Stack = stack, CopyPrior = prior, CopyGate = gate };
    }

    [Property(MaxTest = 20)]
    public void The_exported_steps_equal_the_cached_libtorch_steps_with_reordering(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var vocabulary = random.Next(6, 14);
        var parameters = Parameters(seed, vocabulary, random);
        // Articles of 0..8 characters (Unknown included), always one of a single character, so most rows are padded.
        var articles = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Enumerable.Range(0, random.Next(0, 9)).Select(_ => random.Next(1, vocabulary)).ToArray())
            .Append([random.Next(1, vocabulary)]).OrderBy(_ => random.Next()).ToArray();
        var what = $"seed {seed}: vocabulary {vocabulary}, width {parameters.Embedding.Weight.shape[1]}, heads {parameters.Stack.Layers[0].SelfAttn.Heads}, "
                   + $"blocks {parameters.Stack.Layers.Length}, articles [{string.Join(" | ", articles.Select(a => string.Join(",", a)))}]";
        using var stepper = new UniLmStepper(parameters, articles);
        var longest = Math.Max(1, articles.Max(a => a.Length));
        var padded = torch.tensor(articles.SelectMany(a => a.Select(id => (long)id).Concat(Enumerable.Repeat(0L, longest - a.Length))).ToArray(), [articles.Length, longest]);
        var prefix = OrtRunner.Run(UniLmOnnx.Prefix(parameters).ToModel(), (UniLmGraphNames.Article, padded));
        var step = UniLmOnnx.Step(parameters).ToModel();
        var blocks = parameters.Stack.Layers.Length;
        var cacheNames = UniLmGraphNames.CacheNames(blocks);
        var cache = cacheNames.ToDictionary(name => name, name => prefix[name]);

        var rowArticles = Enumerable.Range(0, articles.Length).ToArray();
        var parents = rowArticles.Select(a => (long)a).ToArray();
        var tokens = rowArticles.Select(_ => CharacterVocabulary.Start).ToArray();
        var prefixes = tokens.Select(t => new[] { t }).ToArray();
        for (var offset = 0; offset < 5; offset++)
        {
            var (expected, expectedSources) = stepper.Step(parents, tokens, rowArticles);
            // The step reads whole tensors (the prefix's article rows, the last cache) and the rows each hypothesis takes from them.
            var byArticle = torch.tensor(rowArticles.Select(a => (long)a).ToArray());
            var inputs = UniLmGraphNames.ArticleNames.Select(name => (name, prefix[name]))
                .Concat(cacheNames.Select(name => (name, cache[name])))
                .Append((UniLmGraphNames.ArticleRows, byArticle))
                .Append((UniLmGraphNames.CacheRows, offset == 0 ? byArticle : torch.tensor(parents)))
                .Append((UniLmGraphNames.Previous, torch.tensor(tokens.Select(t => (long)t).ToArray())))
                .Append((UniLmGraphNames.Offset, torch.tensor(new long[] { offset }))).ToArray();
            var result = OrtRunner.Run(step, inputs);
            OrtRunner.Agrees(expected, result[UniLmGraphNames.LogProbabilities], $"{what}: step {offset} log-probabilities");
            var sources = result[UniLmGraphNames.Source].data<long>().ToArray();
            for (var row = 0; row < sources.Length; row++)
                Assert.True(sources[row] == expectedSources[row] || Tied(parameters, articles[rowArticles[row]], prefixes[row], expectedSources[row], sources[row]),
                    $"{what}: step {offset} sources ours [{string.Join(", ", expectedSources)}], ORT [{string.Join(", ", sources)}]");
            var next = UniLmGraphNames.NextCacheNames(blocks);
            cache = cacheNames.Select((name, i) => (name, result[next[i]])).ToDictionary(p => p.name, p => p.Item2);
            Assert.Equal([tokens.Length, longest + offset + 1], cache[UniLmGraphNames.CacheMask].shape);

            // The next hypotheses: random parents (repeats and drops, as beam search makes them) with random characters.
            var count = random.Next(1, 6);
            parents = Enumerable.Range(0, count).Select(_ => (long)random.Next(tokens.Length)).ToArray();
            rowArticles = parents.Select(p => rowArticles[p]).ToArray();
            tokens = parents.Select(_ => random.Next(1, vocabulary)).ToArray();
            prefixes = parents.Select((p, i) => (int[])[.. prefixes[p], tokens[i]]).ToArray();
        }
    }

    /// <summary>
    /// Whether article positions <paramref name="ours"/> and <paramref name="theirs"/> both hold an Unknown that libtorch's copy
    /// attention after <paramref name="prefix"/> (start included) weighs the same to 1e-5: a tie the two runtimes may break
    /// differently (identical characters whose outputs are equal, as in an article of Unknowns only).
    /// </summary>
    static bool Tied(UniLmParams parameters, int[] article, int[] prefix, long ours, long theirs)
    {
        if (ours < 0 || theirs < 0 || article[ours] != CharacterVocabulary.Unknown || article[theirs] != CharacterVocabulary.Unknown) return false;
        using var scope = torch.NewDisposeScope();
        var weights = UniLmForward.CopyWeights(parameters, torch.tensor(article.Select(id => (long)id).ToArray(), [1, article.Length]),
            torch.tensor(prefix.Select(id => (long)id).ToArray(), [1, prefix.Length]))[0, -1];
        return Math.Abs(weights[ours].item<float>() - weights[theirs].item<float>()) <= 1e-5;
    }

    /// <summary>A tiny trained-UniLM stand-in (<see cref="Parameters"/>) over a vocabulary of some of <see cref="Pool"/>'s characters.</summary>
    static TrainedUniLm Model(int seed, Random random)
    {
        var characters = Pool.Select(c => c.ToString()).Distinct().OrderBy(_ => random.Next()).Take(random.Next(6, 20)).ToArray();
        var vocabulary = CharacterVocabulary.Build([string.Concat(characters)], 1);
        var parameters = Parameters(seed, vocabulary.Size, random);
        var options = TitleTesting.Tiny with { Kind = TitleModelKinds.UniLm, EmbeddingSize = (int)parameters.Embedding.Weight.shape[1], DecoderLayers = parameters.Stack.Layers.Length };
        return new TrainedUniLm(parameters, vocabulary, options);
    }

    /// <summary>Random articles of the pool's characters (some outside the vocabulary, some longer than the model reads), with white space and one empty line.</summary>
    static string[] Articles(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => string.Concat(Enumerable.Range(0, random.Next(1, 24)).Select(_ => random.Next(12) == 0 ? " " : Pool[random.Next(Pool.Length)].ToString()))), "  "];

    [Property(MaxTest = 30)]
    public void Onnx_titles_of_a_unilm_equal_libtorch_titles_for_greedy_and_beam(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var trained = Model(seed, random);
        using var folder = new TemporaryFolder();
        TitleModelExport.Write(trained, folder.Path);
        using var onnx = OnnxTitleModel.Load(folder.Path);
        Assert.Equal(TitleModelManifest.UniLmKind, onnx.Manifest.Kind);
        var texts = Articles(random, random.Next(1, 10));
        var maxLength = random.Next(1, 12);
        var beam = new BeamSearchOptions(random.Next(2) == 0 ? 1 : 3, random.Next(0, Math.Min(4, maxLength + 1)), maxLength, random.Next(2) == 0)
            { ArticleCharactersOnly = random.Next(3) == 0, NoRepeatNgram = random.Next(0, 3) };
        var options = new TitleDecodingOptions(beam.Width, beam.MinLength, beam.MaxLength, beam.NormalizeByLength, beam.ArticleCharactersOnly, beam.NoRepeatNgram);
        var batch = random.Next(1, 6);

        var expected = BatchedGeneration.Generate(trained, texts, beam, batch, null).ToArray();
        var actual = onnx.GenerateMany(texts, options, batch).ToArray();

        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var what = $"seed {seed}, {beam}, batch {batch}, article {i} '{texts[i]}'";
            Assert.True((expected[i].Problem is null) == (actual[i].Problem is null), $"{what}: problem '{expected[i].Problem}' vs '{actual[i].Problem}'");
            if (expected[i].Title is not { } ours) continue;
            var theirs = actual[i].Title!;
            Assert.True(ours.Decoded.Ids.SequenceEqual(theirs.Decoded.Ids), $"{what}: ids [{string.Join(", ", ours.Decoded.Ids)}] vs ORT [{string.Join(", ", theirs.Decoded.Ids)}]");
            var article = onnx.Encode(texts[i]).Take(onnx.Manifest.MaxArticleLength).ToArray();
            var sourcesAgree = ours.Decoded.UnknownSources.SequenceEqual(theirs.Decoded.UnknownSources);
            // One source per Unknown written: the k-th belongs to the k-th Unknown of the ids, written after the ids before it.
            var unknownAt = ours.Decoded.Ids.Select((id, at) => (id, at)).Where(p => p.id == CharacterVocabulary.Unknown).Select(p => p.at).ToArray();
            Assert.Equal(unknownAt.Length, theirs.Decoded.UnknownSources.Length);
            for (var k = 0; k < unknownAt.Length; k++)
                Assert.True(ours.Decoded.UnknownSources[k] == theirs.Decoded.UnknownSources[k]
                            || Tied(trained.Parameters, article, [CharacterVocabulary.Start, .. ours.Decoded.Ids.Take(unknownAt[k])], ours.Decoded.UnknownSources[k], theirs.Decoded.UnknownSources[k]),
                    $"{what}: unknown sources [{string.Join(", ", ours.Decoded.UnknownSources)}] vs ORT [{string.Join(", ", theirs.Decoded.UnknownSources)}]");
            Assert.Equal(ours.Decoded.Finished, theirs.Decoded.Finished);
            if (sourcesAgree) Assert.Equal(ours.Title, theirs.Title);
            Assert.True(Math.Abs(ours.Decoded.Score - theirs.Decoded.Score) <= 1e-4 * Math.Max(1, Math.Abs(ours.Decoded.Score)), $"{what}: score {ours.Decoded.Score} vs ORT {theirs.Decoded.Score}");
        }
    }

    [Fact]
    public void The_manifest_of_a_unilm_names_its_kind_and_shape()
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(4);
        var trained = Model(4, random);
        using var folder = new TemporaryFolder();
        TitleModelExport.Write(trained, folder.Path);
        var manifest = TitleModelManifest.Load(folder.File(TitleModelManifest.FileName));
        Assert.Equal((TitleModelManifest.UniLmKind, trained.Parameters.Stack.Layers.Length, (int)trained.Parameters.Embedding.Weight.shape[1], trained.Parameters.Stack.Layers[0].SelfAttn.Heads),
            (manifest.Kind, manifest.Blocks, manifest.Width, manifest.Heads));
        Assert.Equal(trained.Vocabulary.Sha256, manifest.VocabularySha256);
    }

    /// <summary>A UniLM's graphs under a manifest saying LSTM (with a plausible LSTM shape) are refused naming the graph's file; an LSTM's under a manifest saying UniLM too.</summary>
    [Fact]
    public void Graphs_of_another_kind_than_the_manifest_are_refused_naming_the_file()
    {
        using var scope = torch.NewDisposeScope();
        using var folder = new TemporaryFolder();
        TitleModelExport.Write(Model(6, new Random(6)), folder.Path);
        var path = folder.File(TitleModelManifest.FileName);
        var manifest = TitleModelManifest.Load(path);
        File.WriteAllText(path, (manifest with { Kind = TitleModelManifest.LstmKind, DecoderLayers = 1, DecoderHidden = 8 }).ToJson());
        var error = Assert.Throws<InvalidDataException>(() => OnnxTitleModel.Load(folder.Path));
        Assert.Contains(folder.File(TitleModelManifest.EncoderFile), error.Message);

        using var lstm = new TemporaryFolder();
        var random = new Random(6);
        var characters = Pool.Distinct().Take(8).Select(c => c.ToString());
        var vocabulary = CharacterVocabulary.Build([string.Concat(characters)], 1);
        TitleModelExport.Write(new TrainedTitleModel(TitleTesting.Model(6, vocabulary.Size), vocabulary, TitleTesting.Tiny), lstm.Path);
        var lstmPath = lstm.File(TitleModelManifest.FileName);
        File.WriteAllText(lstmPath, (TitleModelManifest.Load(lstmPath) with { Kind = TitleModelManifest.UniLmKind, Blocks = 1, Width = 8, Heads = 1 }).ToJson());
        error = Assert.Throws<InvalidDataException>(() => OnnxTitleModel.Load(lstm.Path));
        Assert.Contains(lstm.File(TitleModelManifest.EncoderFile), error.Message);
    }

    [Theory]
    [InlineData("\"Kind\": \"unilm\"", "\"Kind\": \"gpt\"", "Kind")]
    [InlineData("\"Blocks\": ", "\"Blocks\": 0, \"Unused\": ", "Blocks")]
    [InlineData("\"Heads\": ", "\"Heads\": 3, \"Unused\": ", "Width")]
    public void A_doctored_unilm_manifest_is_refused_naming_it_and_the_field(string from, string to, string field)
    {
        using var scope = torch.NewDisposeScope();
        using var folder = new TemporaryFolder();
        TitleModelExport.Write(Model(8, new Random(8)), folder.Path);
        var path = folder.File(TitleModelManifest.FileName);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
        var error = Assert.Throws<InvalidDataException>(() => OnnxTitleModel.Load(folder.Path));
        Assert.Contains(path, error.Message);
        Assert.Contains(field, error.Message);
    }
}
