using System.Text.Json;
using Functional.Models.Titles;
using Functional.Models.Titles.UniLm;
using Functional.PropertyTests.CommandLine;
using Functional.Training;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Titles;

/// <summary><c>titles train --model unilm</c> through the command line: the round trip to generate and eval, the recorded kind, resume.</summary>
public sealed class UniLmCommandTests
{
    static readonly string[] TinyUniLm =
        ["--model", "unilm", "--embedding", "8", "--decoder-layers", "1", "--output-hidden", "12", "--max-article", "16", "--max-title", "8",
         "--batch", "8", "--val-subset", "4", "--workers", "1", "--threads", "1", "--min-count", "1", "--dropout", "0.1"];

    static string Corpus(TemporaryFolder folder)
    {
        var random = new Random(5);
        var lines = Enumerable.Range(0, 48).Select(_ =>
        {
            var content = new string(Enumerable.Range(0, random.Next(8, 20)).Select(_ => (char)('a' + random.Next(12))).ToArray());
            return JsonSerializer.Serialize(new { title = content[..4], content });
        });
        File.WriteAllLines(folder.File("news.jsonl"), lines);
        return folder.File("news.jsonl");
    }

    /// <summary>
    /// A tiny UniLM trains, saves, loads and generates through the command line; the folder records its kind, so
    /// <c>generate</c> and <c>eval</c> load a UniLM, the LSTM loader refuses it naming the kind, and a resumed run of
    /// the other kind is refused naming both.
    /// </summary>
    [Fact]
    public void Train_save_load_generate_and_eval_round_trip_with_the_kind_recorded()
    {
        using var folder = new TemporaryFolder();
        var data = Corpus(folder);
        var output = folder.File("run");
        var train = CommandLineRun.Of(["titles", "train", "--data", data, "--out", output, "--epochs", "1", .. TinyUniLm]);
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("stack/layers/0/self_attn/in_proj_weight", train.Output);

        var loaded = TitleModelFolder.Load(output, torch.CPU);
        var model = Assert.IsType<TrainedUniLm>(loaded);
        Assert.Equal(TitleModelKinds.UniLm, model.Options.Kind);
        var refused = Assert.Throws<InvalidDataException>(() => TrainedTitleModel.Load(output, torch.CPU));
        Assert.Contains("of kind 'unilm', not 'lstm'", refused.Message);

        var generate = CommandLineRun.Of(["titles", "generate", "--model", output, "--text", "abcdefghijkl"]);
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Equal(TitleGenerator.Generate(model, "abcdefghijkl", BeamSearchOptions.Default).Title, generate.Output.Split('\n')[0]);
        var evaluation = CommandLineRun.Of(["titles", "eval", "--model", output, "--data", data, "--validation-share", "0.1"]);
        Assert.True(evaluation.ExitCode == 0, evaluation.ToString());
        Assert.Contains("greedy   on ", evaluation.Output);
        Assert.Contains("beam 4", evaluation.Output);

        var other = CommandLineRun.Of(["titles", "train", "--data", data, "--out", output, "--epochs", "2", "--model", "lstm", "--threads", "1", "--workers", "1"]);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("kind 'unilm'", other.ToString());
    }

    /// <summary>
    /// Resume is bit-exact: a run whose last checkpoint is removed resumes from the one before and ends with the same
    /// train state, tensor for tensor, as the uninterrupted run.
    /// </summary>
    [Fact]
    public void A_resumed_run_ends_bit_for_bit_as_the_uninterrupted_one()
    {
        using var folder = new TemporaryFolder();
        var data = Corpus(folder);
        var whole = folder.File("whole");
        string[] command = ["titles", "train", "--data", data, "--epochs", "2", "--checkpoint-every", "2", .. TinyUniLm];
        var first = CommandLineRun.Of([.. command, "--out", whole]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var store = new CheckpointStore(Path.Combine(whole, "checkpoints"), keepLast: 2);
        var steps = store.Steps();
        Assert.Equal(2, steps.Count);
        var resumed = folder.File("resumed");
        Directory.CreateDirectory(Path.Combine(resumed, "checkpoints"));
        foreach (var file in Directory.GetFiles(whole).Where(f => Path.GetFileName(f) is "train-vocabulary.txt" or "model-kind.txt"))
            File.Copy(file, Path.Combine(resumed, Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(Path.Combine(whole, "checkpoints")).Where(f => Path.GetFileName(f).StartsWith($"step-{steps[0]:D10}", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(resumed, "checkpoints", Path.GetFileName(file)));

        var second = CommandLineRun.Of([.. command, "--out", resumed]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"step {steps[0]}", second.Output);
        var expected = store.Load(steps[1]);
        var actual = new CheckpointStore(Path.Combine(resumed, "checkpoints"), keepLast: 2).Load(steps[1]);
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var (left, right) in expected.Tensors.Zip(actual.Tensors))
            Assert.True(left.Value.eq(right.Value).all().item<bool>(), $"{left.Name} differs after resuming");
    }
}
