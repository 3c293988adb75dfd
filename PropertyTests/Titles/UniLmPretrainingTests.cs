using System.Globalization;
using System.Text.Json;
using FsCheck.Xunit;
using Functional.Core;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Models.Titles.Pretraining;
using Functional.PropertyTests.CommandLine;
using Functional.Training;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Titles;

/// <summary>
/// <c>titles pretrain</c> and <c>titles train --model unilm --init</c>: the span-infilling pairs, the loss falling, the
/// pretrained tensors reaching the title model bit for bit, mismatches refused, and a bit-exact resume.
/// </summary>
public sealed class UniLmPretrainingTests
{
    static readonly string[] TinyShape =
        ["--embedding", "8", "--decoder-layers", "1", "--output-hidden", "12", "--max-article", "16", "--max-title", "8", "--dropout", "0.1"];

    static readonly string[] TinyRun = ["--batch", "8", "--workers", "1", "--threads", "1", "--min-count", "1"];

    /// <summary>48 articles of 8 to 19 letters from 12, each with its first 4 letters as title; <paramref name="extra"/> adds one letter no other line has.</summary>
    static string Corpus(TemporaryFolder folder, bool extra = false)
    {
        var random = new Random(5);
        var lines = Enumerable.Range(0, 48).Select(i =>
        {
            var content = new string(Enumerable.Range(0, random.Next(8, 20)).Select(_ => (char)('a' + random.Next(12))).ToArray());
            if (extra && i == 0) content += "z";
            return JsonSerializer.Serialize(new { title = content[..4], content });
        });
        var path = folder.File(extra ? "other.jsonl" : "news.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    static string Pretrain(TemporaryFolder folder, string data, string name, params string[] more)
    {
        var output = folder.File(name);
        var run = CommandLineRun.Of(["titles", "pretrain", "--data", data, "--out", output, "--validation-share", "0.1", .. TinyShape, .. TinyRun, .. more]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return output;
    }

    /// <summary>
    /// A span-infilling pair is a function of (seed, epoch, index); its pseudo-title is a contiguous span of the article
    /// of the allowed length, and the context is the article itself or the article with exactly that span replaced by
    /// one Unknown id.
    /// </summary>
    [Property(MaxTest = 300)]
    public void A_span_infilling_pair_is_a_span_of_the_article_and_the_article_with_or_without_it(int seed, int epoch, int index)
    {
        var random = new Random(seed ^ epoch ^ index);
        var article = Enumerable.Range(0, random.Next(0, 60)).Select(_ => random.Next(2, 40)).ToArray();
        var pair = SpanInfilling.Pair(article, seed, epoch, index);
        var again = SpanInfilling.Pair(article, seed, epoch, index);
        Assert.Equal(pair.Article, again.Article);
        Assert.Equal(pair.Title, again.Title);
        if (article.Length < 2)
        {
            Assert.Equal(article, pair.Title);
            return;
        }
        var span = pair.Title;
        Assert.InRange(span.Length, Math.Min(SpanInfilling.MinSpan, article.Length / 2), Math.Min(SpanInfilling.MaxSpan, article.Length / 2));
        var starts = Enumerable.Range(0, article.Length - span.Length + 1).Where(s => article.AsSpan(s, span.Length).SequenceEqual(span)).ToArray();
        Assert.NotEmpty(starts);
        var kept = pair.Article.SequenceEqual(article);
        var cut = starts.Any(s => pair.Article.SequenceEqual([.. article[..s], CharacterVocabulary.Unknown, .. article[(s + span.Length)..]]));
        Assert.True(kept || cut, $"the context is neither the article nor the article with the span cut out (article {article.Length}, span {span.Length})");
    }

    /// <summary>Pretraining lowers its loss on a tiny corpus: the mean training loss of the last of 8 epochs is below the first's.</summary>
    [Fact]
    public void Pretraining_lowers_its_loss()
    {
        using var folder = new TemporaryFolder();
        var output = Pretrain(folder, Corpus(folder), "pre", "--epochs", "8", "--learning-rate", "0.01", "--warmup", "5");
        var losses = File.ReadLines(Path.Combine(output, "metrics.jsonl")).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.GetProperty("phase").GetString() == "train")
            .Select(e => (Epoch: e.GetProperty("epoch").GetInt32(), Loss: e.GetProperty("metrics").GetProperty("loss").GetDouble())).ToArray();
        var first = losses.Where(l => l.Epoch == 0).Average(l => l.Loss);
        var last = losses.Where(l => l.Epoch == 7).Average(l => l.Loss);
        Assert.True(last < first - 0.3, string.Create(CultureInfo.InvariantCulture, $"mean loss of epoch 1 {first:F4}, of epoch 8 {last:F4}"));
    }

    /// <summary>
    /// <c>--init</c> starts the title model from the pretrained tensors bit for bit: what <see cref="PretrainedStart"/>
    /// gives equals the tensors of the pretrained model.safetensors, path for path; and the command line takes that
    /// start (it says so, and trains).
    /// </summary>
    [Fact]
    public void Init_loads_exactly_the_pretrained_tensors()
    {
        using var folder = new TemporaryFolder();
        var data = Corpus(folder);
        var pretrained = Pretrain(folder, data, "pre", "--epochs", "1");
        var corpus = TitleCorpus.Load(data, TitleCorpusOptions.Default with { ValidationShare = 0.1 });
        var vocabulary = CharacterVocabulary.Build(corpus.Train.SelectMany(p => new[] { p.Title, p.Content }), 1);
        var options = new TitleModelOptions(8, 6, 1, 8, 1, 12, 0.1, 16, 8) { Kind = TitleModelKinds.UniLm };
        var parameters = PretrainedStart.Load(pretrained, vocabulary, options, torch.CPU);
        try
        {
            var file = SafeTensors.Deserialize(File.ReadAllBytes(Path.Combine(pretrained, "model.safetensors")), "pretrained");
            var stored = file.Tensors.ToDictionary(t => t.Name, t => t.Value);
            var leaves = Tree.Flatten(parameters);
            Assert.Equal(stored.Count, leaves.Count);
            foreach (var leaf in leaves)
                Assert.True(stored[leaf.Path].eq(leaf.Value).all().item<bool>(), $"{leaf.Path} differs from the pretrained file");
        }
        finally
        {
            Tree.Dispose(parameters);
        }

        var train = CommandLineRun.Of(["titles", "train", "--model", "unilm", "--data", data, "--out", folder.File("run"), "--validation-share", "0.1", "--epochs", "1",
            "--val-subset", "4", "--init", pretrained, .. TinyShape, .. TinyRun]);
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains($"Starting from the pretrained weights in {pretrained}", train.Output);
    }

    /// <summary>
    /// A pretrained model of another shape is refused naming the file and both shapes; one built from another vocabulary
    /// is refused naming both SHA-256; <c>--init</c> with an LSTM is refused.
    /// </summary>
    [Fact]
    public void A_mismatched_pretrained_model_is_refused()
    {
        using var folder = new TemporaryFolder();
        var data = Corpus(folder);
        var pretrained = Pretrain(folder, data, "pre", "--epochs", "1");
        string[] train = ["titles", "train", "--model", "unilm", "--validation-share", "0.1", "--epochs", "1", "--val-subset", "4", "--init", pretrained, .. TinyRun];

        var wider = CommandLineRun.Of([.. train, "--data", data, "--out", folder.File("wider"), .. TinyShape.Select((flag, i) => i > 0 && TinyShape[i - 1] == "--embedding" ? "12" : flag)]);
        Assert.NotEqual(0, wider.ExitCode);
        Assert.Contains(Path.Combine(pretrained, "model.safetensors"), wider.ToString());
        Assert.Contains("'embedding/weight' has shape Float32[", wider.ToString());
        Assert.Contains(", 8] on cpu, but the title model being trained has 'embedding/weight' of shape Float32[", wider.ToString());
        Assert.Contains(", 12] on cpu", wider.ToString());

        var otherData = Corpus(folder, extra: true);
        var other = CommandLineRun.Of([.. train, "--data", otherData, "--out", folder.File("other"), .. TinyShape]);
        Assert.NotEqual(0, other.ExitCode);
        var vocabulary = CharacterVocabulary.Load(Path.Combine(pretrained, "vocabulary.txt"));
        Assert.Contains($"SHA-256 {vocabulary.Sha256}", other.ToString());
        Assert.Contains("is not the one this run builds from its corpus", other.ToString());

        var lstm = CommandLineRun.Of(["titles", "train", "--model", "lstm", "--data", data, "--out", folder.File("lstm"), "--init", pretrained]);
        Assert.NotEqual(0, lstm.ExitCode);
        Assert.Contains("--init starts a UniLM from pretrained weights", lstm.ToString());
    }

    /// <summary>
    /// Resume of pretraining is bit-exact: a run whose last checkpoint is removed resumes from the one before and ends
    /// with the same train state, tensor for tensor, as the uninterrupted run (the spans are drawn anew the same way).
    /// </summary>
    [Fact]
    public void A_resumed_pretraining_ends_bit_for_bit_as_the_uninterrupted_one()
    {
        using var folder = new TemporaryFolder();
        var data = Corpus(folder);
        var whole = Pretrain(folder, data, "whole", "--epochs", "2", "--checkpoint-every", "2");
        var store = new CheckpointStore(Path.Combine(whole, "checkpoints"), keepLast: 2);
        var steps = store.Steps();
        Assert.Equal(2, steps.Count);
        var resumed = folder.File("resumed");
        Directory.CreateDirectory(Path.Combine(resumed, "checkpoints"));
        foreach (var file in Directory.GetFiles(whole).Where(f => Path.GetFileName(f).StartsWith("train-vocabulary.txt", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(resumed, Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(Path.Combine(whole, "checkpoints")).Where(f => Path.GetFileName(f).StartsWith($"step-{steps[0]:D10}", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(resumed, "checkpoints", Path.GetFileName(file)));

        var second = CommandLineRun.Of(["titles", "pretrain", "--data", data, "--out", resumed, "--validation-share", "0.1", "--epochs", "2", "--checkpoint-every", "2", .. TinyShape, .. TinyRun]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"step {steps[0]}", second.Output);
        var expected = store.Load(steps[1]);
        var actual = new CheckpointStore(Path.Combine(resumed, "checkpoints"), keepLast: 2).Load(steps[1]);
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var (left, right) in expected.Tensors.Zip(actual.Tensors))
            Assert.True(left.Value.eq(right.Value).all().item<bool>(), $"{left.Name} differs after resuming");
        var model = File.ReadAllBytes(Path.Combine(whole, "model.safetensors"));
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
    }
}
