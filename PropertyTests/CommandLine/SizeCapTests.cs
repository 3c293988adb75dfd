using System.Globalization;
using Functional.Cli;
using Functional.Models.Titles;
using Functional.Training;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// Issue 31, item 5: every numeric option of every command (found by walking the command tree) either refuses a huge
/// value as a usage error naming it — its cap — or is listed here as not a size, with the reason. A new numeric option
/// fails this test until it is given a cap or a reason.
/// </summary>
public sealed class SizeCapTests
{
    /// <summary>(command path, option) of the numeric options whose huge values allocate nothing, and why.</summary>
    static readonly Dictionary<(string Command, string Option), string> NotSizes = new()
    {
        [("titles train", "--epochs")] = "passes: time, bounded by --minutes",
        [("titles train", "--warmup")] = "a step count of the schedule",
        [("titles train", "--min-count")] = "a threshold: higher means a smaller vocabulary",
        [("titles train", "--val-subset")] = "taken from the validation pairs, so at most their number",
        [("titles train", "--seed")] = "a seed",
        [("titles train", "--checkpoint-every")] = "a step count",
        [("titles train", "--learning-rate")] = "a rate",
        [("titles train", "--clip")] = "a norm",
        [("titles pretrain", "--epochs")] = "passes: time, bounded by --minutes",
        [("titles pretrain", "--warmup")] = "a step count of the schedule",
        [("titles pretrain", "--min-count")] = "a threshold: higher means a smaller vocabulary",
        [("titles pretrain", "--seed")] = "a seed",
        [("titles pretrain", "--checkpoint-every")] = "a step count",
        [("titles pretrain", "--learning-rate")] = "a rate",
        [("titles pretrain", "--clip")] = "a norm",
        [("titles eval", "--count")] = "taken from the validation pairs, so at most their number",
        [("titles eval", "--lead")] = "a prefix of each article, so at most its length",
        [("titles eval", "--no-repeat")] = "an n-gram size compared within one title",
        [("titles baseline", "--lead")] = "a prefix of each article, so at most its length",
        [("titles generate", "--no-repeat")] = "an n-gram size compared within one title",
        [("titles attention", "--no-repeat")] = "an n-gram size compared within one title",
        [("mnist", "--epochs")] = "passes: time, bounded by --minutes",
        [("mnist", "--seed")] = "a seed",
        [("mnist", "--checkpoint-every")] = "a step count",
        [("mnist", "--learning-rate")] = "a rate",
        [("mnist accumulate", "--updates")] = "updates x batch must fit in the data (AccumulationDemo checks it)",
        [("gan train", "--epochs")] = "passes: time, bounded by --minutes",
        [("gan train", "--seed")] = "a seed",
        [("gan train", "--g-learning-rate")] = "a rate",
        [("gan train", "--d-learning-rate")] = "a rate",
        [("gan train", "--lambda")] = "a loss weight",
        [("gan sample", "--seed")] = "a seed",
        [("gan score", "--seed")] = "a seed",
        [("word2vec train", "--min-count")] = "a threshold: higher means a smaller vocabulary",
        [("word2vec train", "--epochs")] = "passes: time",
        [("word2vec train", "--seed")] = "a seed",
        [("word2vec train", "--subsample")] = "a frequency threshold",
        [("word2vec train", "--learning-rate")] = "a rate",
        [("word2vec similar", "--count")] = "neighbours are taken from the vocabulary, so at most its size",
    };

    /// <summary>(arguments with a huge value, the option): every numeric option not listed in <see cref="NotSizes"/>.</summary>
    public static TheoryData<string[], string> Capped()
    {
        var rows = new TheoryData<string[], string>();
        foreach (var (path, command) in MissingValueTests.Commands())
            foreach (var option in command.Options.Where(o => o.ValueType == typeof(int) || o.ValueType == typeof(double)))
            {
                if (NotSizes.ContainsKey((string.Join(' ', path), option.Name))) continue;
                var huge = option.ValueType == typeof(int) ? int.MaxValue.ToString(CultureInfo.InvariantCulture) : "1e300";
                string[] text = command.Options.Any(o => o.Name == "--text") ? ["--text", "x"] : [];
                rows.Add([.. path, .. text, option.Name, huge], option.Name);
            }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Capped))]
    public void A_huge_size_is_a_usage_error_naming_the_option(string[] args, string option)
    {
        // Parsed first: an option without a cap would otherwise start the command's work.
        Assert.Contains(Program.Parse(args).Errors, e => e.Message.Contains($"{option} must be", StringComparison.Ordinal));
        var run = CommandLineRun.Of(args);
        Assert.True(run.ExitCode == Program.UsageError, $"{string.Join(' ', args)}\n{run}");
        Assert.True(run.Error.Contains($"{option} must be", StringComparison.Ordinal), $"{string.Join(' ', args)}\n{run}");
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_listed_option_exists_so_the_list_cannot_hide_a_renamed_one()
    {
        var options = MissingValueTests.Commands().SelectMany(c => c.Command.Options.Select(o => (string.Join(' ', c.Path), o.Name))).ToHashSet();
        foreach (var key in NotSizes.Keys) Assert.True(options.Contains(key), $"{key} is listed as not a size but there is no such option");
        Assert.True(Capped().Count >= 30, $"only {Capped().Count} capped options");
    }

    [Theory]
    [InlineData("--beam", BeamSearchOptions.WidthLimit)]
    [InlineData("--max-length", BeamSearchOptions.MaxLengthLimit)]
    public void The_decoding_caps_are_the_records_and_the_help_states_them(string option, int cap)
    {
        string[] generate = ["titles", "generate", "--text", "x"];
        Assert.DoesNotContain(Program.Parse([.. generate, option, cap.ToString(CultureInfo.InvariantCulture)]).Errors, e => e.Message.Contains(option, StringComparison.Ordinal));
        var over = CommandLineRun.Of([.. generate, option, (cap + 1).ToString(CultureInfo.InvariantCulture)]);
        Assert.True(over.ExitCode == Program.UsageError && over.Error.Contains($"{option} must be in [1, {cap}], got {cap + 1}.", StringComparison.Ordinal), over.ToString());
        var help = CommandLineRun.Of(["titles", "generate", "--help"]).Output;
        Assert.Matches($@"(?m)^\s+{option} <N>.*\(at most {cap}\)", help);
        // The record refuses the same values: the command line restates nothing.
        Assert.Throws<ArgumentOutOfRangeException>(() => (option == "--beam" ? BeamSearchOptions.Default with { Width = cap + 1 } : BeamSearchOptions.Default with { MaxLength = cap + 1 }).Validate());
        _ = (option == "--beam" ? BeamSearchOptions.Default with { Width = cap } : BeamSearchOptions.Default with { MaxLength = cap }).Validate();
    }

    [Fact]
    public void Workers_are_capped_at_four_per_core_here_and_in_the_loader()
    {
        var cap = BatchLoader.MaxWorkers;
        Assert.Equal(4 * Environment.ProcessorCount, cap);
        foreach (var command in new[] { new[] { "mnist" }, ["titles", "train"] })
        {
            var run = CommandLineRun.Of([.. command, "--workers", (cap + 1).ToString(CultureInfo.InvariantCulture)]);
            Assert.True(run.ExitCode == Program.UsageError && run.Error.Contains($"--workers must be in [1, {cap}], got {cap + 1}.", StringComparison.Ordinal), run.ToString());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchLoader.Load([[0]], b => b, cap + 1, 1, 0, CancellationToken.None));
    }

    [Fact]
    public void Beams_that_step_together_are_capped_across_batch_and_width()
    {
        using var folder = new TemporaryFolder();
        var file = folder.File("articles.txt");
        File.WriteAllText(file, "文章\n");
        var run = CommandLineRun.Of(["titles", "generate", "--file", file, "--beam", "64", "--batch", "64"]);
        Assert.True(run.ExitCode == Program.UsageError, run.ToString());
        Assert.Contains($"--batch 64 x --beam 64 is 4096 beams a step, more than {BatchedGeneration.MaxBeamsPerStep}: lower --batch to at most {BatchedGeneration.MaxBeamsPerStep / 64}.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Program.Parse(["titles", "generate", "--file", file, "--beam", "64", "--batch", "32"]).Errors, e => e.Message.Contains("beams a step", StringComparison.Ordinal));
    }

    [Fact]
    public void A_sample_grid_too_large_to_draw_is_a_usage_error()
    {
        var run = CommandLineRun.Of(["gan", "sample", "--count", "10000", "--columns", "100", "--scale", "16"]);
        Assert.True(run.ExitCode == Program.UsageError && run.Error.Contains("--count 10000 --columns 100 --scale 16 make a 48032x48032 image", StringComparison.Ordinal), run.ToString());
    }
}
