using System.Text.Json;
using Functional.Cli;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Models.Titles.UniLm;
using Functional.PropertyTests.CommandLine;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;

namespace Functional.PropertyTests.RunFolder;

/// <summary>
/// Faults in the vocabularies of a title run folder: a truncated <c>train-vocabulary.txt</c> is reported as damaged (and
/// repaired when the corpus gives the recorded vocabulary again), never as "another model ... --restart", which would
/// delete intact checkpoints; resuming with another corpus is refused up front naming both; and <c>vocabulary.txt</c> is
/// bound to <c>model.safetensors</c>, so two swapped lines are found on load.
/// </summary>
public sealed class VocabularyFaultTests
{
    static readonly string[] TinyModel =
        ["--embedding", "8", "--encoder-hidden", "6", "--decoder-hidden", "8", "--output-hidden", "12", "--max-article", "16", "--max-title", "8",
         "--batch", "8", "--val-subset", "4", "--workers", "1", "--threads", "1", "--min-count", "1", "--validation-share", "0.1"];

    /// <summary>A JSON-lines corpus of 60 pairs over the letters from <paramref name="first"/> on.</summary>
    static string Corpus(TemporaryFolder folder, string name, char first, int seed)
    {
        var random = new Random(seed);
        var lines = Enumerable.Range(0, 60).Select(_ =>
        {
            var content = new string(Enumerable.Range(0, random.Next(8, 20)).Select(_ => (char)(first + random.Next(12))).ToArray());
            return JsonSerializer.Serialize(new { title = content[..4], content });
        });
        File.WriteAllLines(folder.File(name), lines);
        return folder.File(name);
    }

    static CommandLineRun Train(string data, string output, int epochs) =>
        CommandLineRun.Of(["titles", "train", "--data", data, "--out", output, "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), .. TinyModel]);

    static string[] Checkpoints(string output) => Directory.EnumerateFiles(Path.Combine(output, "checkpoints"), "step-*").Order().ToArray();

    [Fact]
    public void A_truncated_run_vocabulary_is_reported_damaged_and_rebuilt_from_its_corpus_and_the_run_resumes()
    {
        using var folder = new TemporaryFolder();
        var data = Corpus(folder, "news.jsonl", 'a', 3);
        var output = folder.File("run");
        var first = Train(data, output, 1);
        Assert.True(first.ExitCode == 0, first.ToString());
        var path = Path.Combine(output, "train-vocabulary.txt");
        var intact = File.ReadAllBytes(path);
        File.WriteAllBytes(path, intact[..(intact.Length / 2)]);

        var resumed = Train(data, output, 2);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"the run's vocabulary {path} is damaged", resumed.Output);
        Assert.Contains("so it was written again", resumed.Output);
        Assert.Contains("Resuming from the checkpoint of step", resumed.Output);
        Assert.DoesNotContain("another model", resumed.ToString());
        Assert.Equal(intact, File.ReadAllBytes(path)); // what survives: the vocabulary as it was, and the checkpoints
    }

    [Fact]
    public void Resuming_with_another_corpus_is_refused_up_front_naming_both_and_changes_nothing()
    {
        using var folder = new TemporaryFolder();
        var data = Corpus(folder, "news.jsonl", 'a', 3);
        var other = Corpus(folder, "other.jsonl", 'f', 4);
        var output = folder.File("run");
        var first = Train(data, output, 1);
        Assert.True(first.ExitCode == 0, first.ToString());
        var checkpoints = Checkpoints(output).Select(File.ReadAllBytes).ToArray();

        var refused = Train(other, output, 2);

        Assert.Equal(Program.Failure, refused.ExitCode);
        Assert.Contains($"The run in {output} was started on another corpus: its vocabulary {Path.Combine(output, "train-vocabulary.txt")} has", refused.Error);
        Assert.Contains($"the corpus {other} builds", refused.Error);
        Assert.DoesNotContain("--restart", refused.Error);
        Assert.Equal(checkpoints, Checkpoints(output).Select(File.ReadAllBytes).ToArray());
    }

    [Fact]
    public void A_damaged_run_vocabulary_that_the_corpus_cannot_rebuild_is_refused_as_damaged_not_as_another_model()
    {
        var folder = Training.TrainingFixtures.TemporaryFolder();
        var recorded = CharacterVocabulary.Build(["abcdefghij"], 1);
        RunVocabulary.Save(folder, recorded);
        var path = Path.Combine(folder, RunVocabulary.FileName);
        File.WriteAllLines(path, File.ReadAllLines(path)[..4]);
        var built = CharacterVocabulary.Build(["abcdefghijk"], 1);

        var error = Assert.Throws<InvalidDataException>(() => RunVocabulary.Resolve(folder, built, "news.jsonl", resuming: true, TextWriter.Null));

        Assert.StartsWith($"The run's vocabulary {path} is damaged: it reads as 8 ids", error.Message);
        Assert.Contains($"{Path.Combine(folder, RunVocabulary.ChecksumFileName)} records {recorded.Sha256}", error.Message);
        Assert.Contains("The checkpoints are intact", error.Message);
        Assert.DoesNotContain("--restart", error.Message);
    }

    [Fact]
    public void A_truncated_run_vocabulary_of_a_folder_without_a_checksum_is_taken_for_truncated_and_rebuilt()
    {
        var folder = Training.TrainingFixtures.TemporaryFolder();
        var built = CharacterVocabulary.Build(["abcdefghij"], 1);
        built.Save(Path.Combine(folder, RunVocabulary.FileName));
        var path = Path.Combine(folder, RunVocabulary.FileName);
        File.WriteAllLines(path, File.ReadAllLines(path)[..3]);
        var warnings = new StringWriter();

        var resolved = RunVocabulary.Resolve(folder, built, "news.jsonl", resuming: true, warnings);

        Assert.Equal(built.Sha256, resolved.Sha256);
        Assert.Contains($"{path} is damaged: it holds only the first 7 of the 14 ids the corpus news.jsonl builds (it is truncated", warnings.ToString());
    }

    [Fact]
    public void A_run_vocabulary_cut_in_its_last_line_in_a_folder_without_a_checksum_is_damaged_not_another_corpus()
    {
        var folder = Training.TrainingFixtures.TemporaryFolder();
        var built = CharacterVocabulary.Build(["今天天气很好我们去公园散步吧"], 1);
        var path = Path.Combine(folder, RunVocabulary.FileName);
        built.Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^2]); // the newline and the last byte of a three-byte character
        var warnings = new StringWriter();

        var resolved = RunVocabulary.Resolve(folder, built, "news.jsonl", resuming: true, warnings);

        Assert.Equal(built.Sha256, resolved.Sha256);
        Assert.Contains($"{path} is damaged: ", warnings.ToString());
        Assert.DoesNotContain("another corpus", warnings.ToString());
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Any_two_swapped_lines_of_a_model_vocabulary_are_refused_on_load_naming_both_files()
    {
        var vocabulary = CharacterVocabulary.Build(["今天天气很好我们去公园散步吧"], 1);
        var directory = Training.TrainingFixtures.TemporaryFolder();
        new TrainedTitleModel(Model(4, vocabulary.Size), vocabulary, Tiny).Save(directory);
        var vocabularyPath = Path.Combine(directory, "vocabulary.txt");
        var modelPath = Path.Combine(directory, "model.safetensors");
        var lines = File.ReadAllLines(vocabularyPath);
        var random = new Random(5);
        for (var trial = 0; trial < 40; trial++)
        {
            var (i, j) = (random.Next(lines.Length), random.Next(lines.Length));
            if (i == j) continue;
            var swapped = lines.ToArray();
            (swapped[i], swapped[j]) = (swapped[j], swapped[i]);
            File.WriteAllLines(vocabularyPath, swapped);

            var error = Assert.Throws<InvalidDataException>(() => TrainedTitleModel.Load(directory, torch.CPU));

            Assert.StartsWith($"not a valid model file: {modelPath}: metadata 'vocabulary-sha256': the model was trained with a vocabulary of SHA-256 {vocabulary.Sha256}, but {vocabularyPath}", error.Message);
        }
        File.WriteAllLines(vocabularyPath, lines);
        Assert.Equal(vocabulary.Sha256, TrainedTitleModel.Load(directory, torch.CPU).Vocabulary.Sha256); // the right file loads
    }

    [Fact]
    public void A_unilm_model_is_bound_to_its_vocabulary_too()
    {
        var vocabulary = CharacterVocabulary.Build(["今天天气很好我们去公园散步吧"], 1);
        var directory = Training.TrainingFixtures.TemporaryFolder();
        var options = Tiny with { DecoderLayers = 1, Kind = TitleModelKinds.UniLm };
        using (var generator = new torch.Generator(3))
            new TrainedUniLm(UniLmModel.Init(generator, vocabulary.Size, options, torch.CPU), vocabulary, options).Save(directory);
        var vocabularyPath = Path.Combine(directory, "vocabulary.txt");
        var lines = File.ReadAllLines(vocabularyPath);
        var swapped = lines.ToArray();
        (swapped[1], swapped[^1]) = (swapped[^1], swapped[1]);
        File.WriteAllLines(vocabularyPath, swapped);

        var error = Assert.Throws<InvalidDataException>(() => TrainedUniLm.Load(directory, torch.CPU));

        Assert.Contains($"metadata 'vocabulary-sha256': the model was trained with a vocabulary of SHA-256 {vocabulary.Sha256}, but {vocabularyPath}", error.Message);
        File.WriteAllLines(vocabularyPath, lines);
        Assert.Equal(vocabulary.Sha256, TrainedUniLm.Load(directory, torch.CPU).Vocabulary.Sha256); // the right file loads
    }
}
