using System.Text.Json;
using Functional.Cli;
using Functional.Models.Titles;
using Functional.PropertyTests.CommandLine;
using Functional.Training;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Titles;

/// <summary><c>titles train/eval --data</c> on a corpus the project has never seen, written here; and old model files.</summary>
public sealed class OwnCorpusCommandTests
{
    static readonly string[] TinyModel =
        ["--embedding", "8", "--encoder-hidden", "6", "--decoder-hidden", "8", "--output-hidden", "12", "--max-article", "16", "--max-title", "8",
         "--epochs", "1", "--batch", "8", "--val-subset", "4", "--workers", "1", "--threads", "1", "--min-count", "1"];

    [Fact]
    public void Train_and_eval_run_on_a_json_lines_file_with_other_field_names()
    {
        using var folder = new TemporaryFolder();
        var random = new Random(3);
        var lines = Enumerable.Range(0, 60).Select(i =>
        {
            var content = new string(Enumerable.Range(0, random.Next(8, 20)).Select(_ => (char)('a' + random.Next(12))).ToArray());
            return JsonSerializer.Serialize(new { headline = content[..4], body = content });
        });
        File.WriteAllLines(folder.File("news.jsonl"), ["", .. lines]);
        var output = folder.File("run");

        var train = CommandLineRun.Of(["titles", "train", "--data", folder.File("news.jsonl"), "--out", output, "--title-field", "headline", "--content-field", "body", "--validation-share", "0.1", .. TinyModel]);
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("news.jsonl: JSON lines, 60 pairs from 61 lines; 1 blank lines", train.Output);
        Assert.Contains("no validation file: 12 pairs held out", train.Output); // 10% is 6; at least a fifth of 60 = 12 (under 300)
        var evaluation = CommandLineRun.Of(["titles", "eval", "--model", output, "--data", folder.File("news.jsonl"), "--title-field", "headline", "--content-field", "body", "--validation-share", "0.1", "--greedy-only"]);
        Assert.True(evaluation.ExitCode == 0, evaluation.ToString());
        Assert.Contains("greedy   on 12 validation pairs", evaluation.Output);
        // Beside today's numbers, the same titles on the published tables' scale (PublishedRouge).
        Assert.Matches(@"greedy   on 12 validation pairs: ROUGE-1 .*\r?\n\s+published scale \(sets, '\.' sentences\): ROUGE-1 [01]\.\d{4}  ROUGE-2 [01]\.\d{4}  ROUGE-L [01]\.\d{4}", evaluation.Output);
    }

    [Fact]
    public void Training_without_per_epoch_validation_keeps_the_last_model()
    {
        using var folder = new TemporaryFolder();
        var random = new Random(5);
        File.WriteAllLines(folder.File("train.tsv"), Enumerable.Range(0, 40).Select(_ =>
        {
            var content = new string(Enumerable.Range(0, random.Next(8, 20)).Select(_ => (char)('a' + random.Next(12))).ToArray());
            return content[..4] + "\t" + content;
        }));
        var output = folder.File("run");
        string[] withoutValidation = [.. TinyModel.Select((argument, i) => i > 0 && TinyModel[i - 1] == "--val-subset" ? "0" : argument)];

        var train = CommandLineRun.Of(["titles", "train", "--data", folder.Path, "--out", output, .. withoutValidation]);

        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")), train.ToString());
        Assert.False(File.Exists(Path.Combine(output, "best-rouge-l.txt")), "no validation score, so no best score is recorded");
        var generate = CommandLineRun.Of(["titles", "generate", "--model", output, "--text", "abcdefgh"]);
        Assert.True(generate.ExitCode == 0, generate.ToString());
    }

    [Fact]
    public void A_bad_corpus_fails_before_training_with_file_and_line()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("train.tsv"), "标题\t文章\n只有文字\n");
        var run = CommandLineRun.Of(["titles", "train", "--data", folder.Path, "--out", folder.File("run"), .. TinyModel]);
        Assert.Equal(Program.Failure, run.ExitCode);
        Assert.Contains($"{folder.File("train.tsv")} line 2: no tab", run.Error);
    }

    [Fact]
    public void A_model_file_with_the_old_recurrent_names_loads_as_the_same_model()
    {
        using var folder = new TemporaryFolder();
        using var scope = torch.NewDisposeScope();
        var vocabulary = Functional.Models.Text.CharacterVocabulary.Build(["abcdef"], 1);
        var model = new TrainedTitleModel(TitleTesting.Model(5, vocabulary.Size), vocabulary, TitleTesting.Tiny);
        model.Save(folder.Path);
        var path = folder.File("model.safetensors");
        var content = SafeTensors.Deserialize(File.ReadAllBytes(path), path);
        static string Old(string name) => System.Text.RegularExpressions.Regex.Replace(name, @"(weight|bias)_(ih|hh)_l(\d+)(_reverse)?$", m =>
            $"layers/{m.Groups[3].Value}/{(m.Groups[4].Success ? "backward" : "forward")}/{(m.Groups[2].Value == "ih" ? "input" : "hidden")}{(m.Groups[1].Value == "weight" ? "Weight" : "Bias")}");
        var renamed = content.Tensors.Select(t => t with { Name = Old(t.Name) }).ToArray();
        Assert.Contains("encoder/layers/0/backward/hiddenBias", renamed.Select(t => t.Name));
        File.WriteAllBytes(path, SafeTensors.Serialize(renamed, content.Metadata));

        var loaded = TrainedTitleModel.Load(folder.Path, torch.CPU);

        foreach (var (expected, actual) in Functional.Core.Tree.Leaves(model.Parameters).Zip(Functional.Core.Tree.Leaves(loaded.Parameters)))
            Assert.True(expected.eq(actual).all().item<bool>(), "a tensor changed");
    }
}
