using System.Diagnostics;
using FsCheck.Xunit;
using Functional.Cli;
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
/// An exported title model decoded on ONNX Runtime (<see cref="OnnxTitleModel"/>) gives the titles libtorch gives
/// (<see cref="BatchedGeneration"/>: the same ids, unknown sources, finished flags and texts, the score to float
/// rounding) for random tiny models, articles with unknown and over-long text, and random decoding options (greedy and
/// beam); a doctored folder is refused naming the file; the command line's ONNX path never loads libtorch.
/// </summary>
public sealed class OnnxTitleModelTests
{
    const string Pool = "新华社北京月日电记者从国家发展改革委获悉今年前三季度我国经济运行总体平稳中有进稳";

    /// <summary>A tiny trained-model stand-in (random weights, a random copy prior and gate) over a vocabulary of some of <see cref="Pool"/>'s characters.</summary>
    static TrainedTitleModel Model(int seed, Random random)
    {
        var characters = Pool.Select(c => c.ToString()).Distinct().OrderBy(_ => random.Next()).Take(random.Next(6, 20)).ToArray();
        var vocabulary = CharacterVocabulary.Build([string.Concat(characters)], 1);
        var options = TitleTesting.Tiny with { DecoderLayers = random.Next(1, 3), EncoderLayers = random.Next(1, 3) };
        return new TrainedTitleModel(TitleTesting.Model(seed, vocabulary.Size, options), vocabulary, options);
    }

    /// <summary>Random articles of the pool's characters (some outside the vocabulary, some longer than the model reads), with white space and one empty line.</summary>
    static string[] Articles(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => string.Concat(Enumerable.Range(0, random.Next(1, 24)).Select(_ => random.Next(12) == 0 ? " " : Pool[random.Next(Pool.Length)].ToString()))), "  "];

    [Property(MaxTest = 30)]
    public void Onnx_titles_equal_libtorch_titles_for_greedy_and_beam(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var trained = Model(seed, random);
        using var folder = new TemporaryFolder();
        TitleModelExport.Write(trained, folder.Path);
        using var onnx = OnnxTitleModel.Load(folder.Path);
        var texts = Articles(random, random.Next(1, 12));
        var maxLength = random.Next(1, 14);
        var beam = new BeamSearchOptions(random.Next(3) == 0 ? 1 : random.Next(2, 6), random.Next(0, Math.Min(4, maxLength + 1)), maxLength, random.Next(2) == 0)
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
            Assert.True(ours.Decoded.UnknownSources.SequenceEqual(theirs.Decoded.UnknownSources), $"{what}: unknown sources");
            Assert.Equal(ours.Decoded.Finished, theirs.Decoded.Finished);
            Assert.Equal(ours.Title, theirs.Title);
            Assert.Equal((ours.ArticleCharacters, ours.UsedCharacters), (theirs.ArticleCharacters, theirs.UsedCharacters));
            Assert.True(Math.Abs(ours.Decoded.Score - theirs.Decoded.Score) <= 1e-4 * Math.Max(1, Math.Abs(ours.Decoded.Score)), $"{what}: score {ours.Decoded.Score} vs ORT {theirs.Decoded.Score}");
        }
    }

    [Fact]
    public void Exported_manifest_carries_the_training_sides_decoding_defaults_and_vocabulary_binding()
    {
        using var scope = torch.NewDisposeScope();
        var trained = Model(7, new Random(7));
        using var folder = new TemporaryFolder();
        TitleModelExport.Write(trained, folder.Path);
        var manifest = TitleModelManifest.Load(folder.File(TitleModelManifest.FileName));
        var d = BeamSearchOptions.Default;
        Assert.Equal(new TitleDecodingOptions(d.Width, d.MinLength, d.MaxLength, d.NormalizeByLength, d.ArticleCharactersOnly, d.NoRepeatNgram), manifest.Defaults);
        Assert.Equal(trained.Vocabulary.Sha256, manifest.VocabularySha256);
        Assert.Equal(TitleVocabulary.Load(folder.File(TitleModelManifest.VocabularyFile)).Sha256, trained.Vocabulary.Sha256);
        Assert.Equal((trained.Options.MaxArticleLength, BeamSearchOptions.WidthLimit, BeamSearchOptions.MaxLengthLimit, BatchedGeneration.MaxBeamsPerStep),
            (manifest.MaxArticleLength, manifest.WidthLimit, manifest.MaxLengthLimit, manifest.MaxBeamsPerStep));
    }

    [Theory]
    [InlineData(TitleModelManifest.EncoderFile)]
    [InlineData(TitleModelManifest.DecoderStepFile)]
    [InlineData(TitleModelManifest.VocabularyFile)]
    [InlineData(TitleModelManifest.FileName)]
    public void A_missing_file_is_refused_naming_it(string name)
    {
        using var folder = Exported();
        File.Delete(folder.File(name));
        var error = Assert.Throws<FileNotFoundException>(() => OnnxTitleModel.Load(folder.Path));
        Assert.Equal(folder.File(name), error.FileName);
        Assert.Contains(folder.File(name), error.Message);
    }

    [Theory]
    [InlineData(TitleModelManifest.EncoderFile)]
    [InlineData(TitleModelManifest.DecoderStepFile)]
    public void A_truncated_graph_is_refused_naming_it(string name)
    {
        using var folder = Exported();
        var bytes = File.ReadAllBytes(folder.File(name));
        File.WriteAllBytes(folder.File(name), bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => OnnxTitleModel.Load(folder.Path));
        Assert.Contains(folder.File(name), error.Message);
    }

    [Fact]
    public void The_graphs_swapped_are_refused_naming_the_file()
    {
        using var folder = Exported();
        File.Move(folder.File(TitleModelManifest.EncoderFile), folder.File("swap"));
        File.Move(folder.File(TitleModelManifest.DecoderStepFile), folder.File(TitleModelManifest.EncoderFile));
        File.Move(folder.File("swap"), folder.File(TitleModelManifest.DecoderStepFile));
        var error = Assert.Throws<InvalidDataException>(() => OnnxTitleModel.Load(folder.Path));
        Assert.Contains(folder.File(TitleModelManifest.EncoderFile), error.Message);
    }

    [Fact]
    public void A_vocabulary_with_two_lines_swapped_is_refused_naming_it()
    {
        using var folder = Exported();
        var lines = File.ReadAllLines(folder.File(TitleModelManifest.VocabularyFile));
        (lines[0], lines[1]) = (lines[1], lines[0]);
        File.WriteAllLines(folder.File(TitleModelManifest.VocabularyFile), lines);
        var error = Assert.Throws<InvalidDataException>(() => OnnxTitleModel.Load(folder.Path));
        Assert.Contains(folder.File(TitleModelManifest.VocabularyFile), error.Message);
        Assert.Contains("SHA-256", error.Message);
    }

    [Theory]
    [InlineData("\"Kind\": \"lstm\"", "\"Kind\": \"gru\"", "Kind")]
    [InlineData("\"Format\": 1", "\"Format\": 2", "Format")]
    [InlineData("\"MaxArticleLength\": 16", "\"MaxArticleLength\": 0", "MaxArticleLength")]
    [InlineData("{", "[", "not a title model manifest")]
    public void A_doctored_manifest_is_refused_naming_it_and_the_field(string from, string to, string field)
    {
        using var folder = Exported();
        var path = folder.File(TitleModelManifest.FileName);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
        var error = Assert.Throws<InvalidDataException>(() => OnnxTitleModel.Load(folder.Path));
        Assert.Contains(path, error.Message);
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void The_command_line_exports_and_generates_the_libtorch_titles_of_an_lstm_and_a_unilm()
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(11);
        var trained = Model(11, random);
        using var folder = new TemporaryFolder();
        var model = folder.File("model");
        var exported = folder.File("exported");
        trained.Save(model);
        var export = CommandLineRun.Of(["titles", "export", "--model", model, "--format", "onnx", "--out", exported]);
        Assert.True(export.ExitCode == Program.Success, export.ToString());
        var articles = folder.File("articles.txt");
        File.WriteAllLines(articles, Articles(random, 20)[..^1]);
        foreach (var beam in new[] { "1", "4" })
        {
            var libtorch = CommandLineRun.Of(["titles", "generate", "--model", model, "--file", articles, "--beam", beam, "--batch", "3"]);
            var onnx = CommandLineRun.Of(["titles", "generate", "--runtime", "onnx", "--model", exported, "--file", articles, "--beam", beam, "--batch", "3"]);
            Assert.True(libtorch.ExitCode == Program.Success, libtorch.ToString());
            Assert.True(onnx.ExitCode == Program.Success, onnx.ToString());
            Assert.Equal(20, onnx.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal(libtorch.Output, onnx.Output);
        }

        var unilm = folder.File("unilm");
        var unilmExported = folder.File("unilm-onnx");
        using (var generator = new torch.Generator(1))
        {
            var options = TitleTesting.Tiny with { Kind = TitleModelKinds.UniLm, EmbeddingSize = 8, DecoderLayers = 1, OutputHidden = 16 };
            new TrainedUniLm(UniLmModel.Init(generator, trained.Vocabulary.Size, options, torch.CPU), trained.Vocabulary, options).Save(unilm);
        }
        var unilmExport = CommandLineRun.Of(["titles", "export", "--model", unilm, "--out", unilmExported]);
        Assert.True(unilmExport.ExitCode == Program.Success, unilmExport.ToString());
        Assert.Equal(TitleModelManifest.UniLmKind, TitleModelManifest.Load(Path.Combine(unilmExported, TitleModelManifest.FileName)).Kind);
        foreach (var beam in new[] { "1", "3" })
        {
            var libtorch = CommandLineRun.Of(["titles", "generate", "--model", unilm, "--file", articles, "--beam", beam, "--batch", "3"]);
            var onnx = CommandLineRun.Of(["titles", "generate", "--runtime", "onnx", "--model", unilmExported, "--file", articles, "--beam", beam, "--batch", "3"]);
            Assert.True(libtorch.ExitCode == Program.Success, libtorch.ToString());
            Assert.True(onnx.ExitCode == Program.Success, onnx.ToString());
            Assert.Equal(20, onnx.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal(libtorch.Output, onnx.Output);
        }
    }

    /// <summary>
    /// <c>titles generate --runtime onnx</c> in its own process never loads libtorch (the dynamic loader's log of every
    /// library it opens holds ONNX Runtime and no libtorch), while the libtorch path does (so the check can fail).
    /// </summary>
    [Fact]
    public void The_onnx_runtime_path_of_the_command_line_never_loads_libtorch()
    {
        using var scope = torch.NewDisposeScope();
        var trained = Model(5, new Random(5));
        using var folder = new TemporaryFolder();
        var model = folder.File("model");
        trained.Save(model);
        TitleModelExport.Write(trained, folder.File("exported"));
        var onnx = LoadedLibraries(folder, ["titles", "generate", "--runtime", "onnx", "--model", folder.File("exported"), "--text", "新华社北京电"]);
        Assert.Contains(onnx, library => library.Contains("libonnxruntime", StringComparison.Ordinal));
        Assert.DoesNotContain(onnx, library => library.Contains("libtorch", StringComparison.Ordinal));
        var libtorch = LoadedLibraries(folder, ["titles", "generate", "--model", model, "--text", "新华社北京电"]);
        Assert.Contains(libtorch, library => library.Contains("libtorch", StringComparison.Ordinal));
    }

    /// <summary>Runs the command line in a child process under <c>LD_DEBUG=files</c>; the libraries it opened.</summary>
    static string[] LoadedLibraries(TemporaryFolder folder, string[] args)
    {
        var directory = AppContext.BaseDirectory;
        var cli = Path.Combine(directory, "Functional.Cli.dll");
        var config = File.Exists(Path.Combine(directory, "Functional.Cli.runtimeconfig.json"))
            ? Path.Combine(directory, "Functional.Cli.runtimeconfig.json")
            : Directory.GetFiles(directory, "*.runtimeconfig.json").First();
        var log = folder.File($"ld-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet", ["exec", "--runtimeconfig", config, cli, .. args])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["LD_DEBUG"] = "files";
        start.Environment["LD_DEBUG_OUTPUT"] = log;
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "the command line did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output.Result} {error.Result}");
        return Directory.GetFiles(folder.Path, Path.GetFileName(log) + "*").SelectMany(File.ReadAllLines)
            .Where(line => line.Contains("file=", StringComparison.Ordinal)).Select(line => line[(line.IndexOf("file=", StringComparison.Ordinal) + 5)..].Split(' ')[0]).Distinct().ToArray();
    }

    static TemporaryFolder Exported()
    {
        using var scope = torch.NewDisposeScope();
        var folder = new TemporaryFolder();
        TitleModelExport.Write(Model(3, new Random(3)), folder.Path);
        return folder;
    }
}
