using Functional.Cli;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// The catalogue of bad command lines (issue 19), run in process: each gets its exit code (2 for usage, 1 for a
/// runtime failure) and a message that names the flag and what it accepts, and none starts any work.
/// </summary>
public sealed class BadCommandLineTests
{
    static readonly string Threads = $"--threads must be in [0, {Flags.MaxThreads}], got 100000.";

    /// <summary>Usage errors: arguments, then a line the error output must hold.</summary>
    public static TheoryData<string[], string> UsageErrors => new()
    {
        { ["mnist", "--batch", "0"], $"--batch must be in [1, {Sizes.Batch}], got 0." },
        { ["mnist", "-b", "0"], $"--batch must be in [1, {Sizes.Batch}], got 0." },
        { ["titles", "train", "-e", "2", "--epochs", "3"], "expects a single argument but 2 were provided." },
        { ["mnist", "--learning-rate", "-1"], "--learning-rate must be a finite number > 0, got -1." },
        { ["mnist", "--epochs", "abc"], "Cannot parse argument 'abc' for option '--epochs'" },
        { ["mnist", "--threads", "100000"], Threads },
        { ["titles", "generate", "--beam", "0", "--text", "文章"], $"--beam must be in [1, {Functional.Models.Titles.BeamSearchOptions.WidthLimit}], got 0." },
        { ["titles", "eval", "--beam", "0"], $"--beam must be in [1, {Functional.Models.Titles.BeamSearchOptions.WidthLimit}], got 0." },
        { ["titles", "train", "--minutes", "-1"], "--minutes must be a finite number >= 0, got -1." },
        { ["titles", "train", "--validation-share", "1"], "--validation-share must be in (0, 1), got 1." },
        { ["titles", "eval", "--format", "csv"], "Argument 'csv' not recognized. Must be one of:" },
        { ["titles", "train", "--minutes", "NaN"], "--minutes must be a finite number >= 0, got NaN." },
        { ["titles", "train", "--minutes", "Infinity"], "--minutes must be a finite number >= 0, got Infinity." },
        { ["titles", "train", "--minutes", "1e300"], "--minutes must be at most 10000000, got 1E+300." },
        { ["titles", "train", "--epochs", "0"], "--epochs must be at least 1, got 0." },
        { ["titles", "train", "--batch", "-1"], $"--batch must be in [1, {Sizes.Batch}], got -1." },
        { ["titles", "train", "--threads", "100000"], Threads },
        { ["titles", "train", "--dropout", "1"], "--dropout must be in [0, 1), got 1." },
        { ["titles", "generate", "--text", "--beam", "4"], "--text is missing its value ('--beam' is an option)." },
        { ["titles", "generate", "--min-length", "9", "--max-length", "5", "--text", "文章"], "--min-length must be in [0, 5] (--max-length), got 9." },
        { ["titles", "generate"], "Give exactly one of --text TEXT or --file FILE." },
        { ["titles", "train", "--batch", "8", "--batch", "16"], "Option '--batch' expects a single argument but 2 were provided." },
        { ["titles", "train", "--bach", "3"], "Unrecognized command or argument '--bach'. Did you mean '--batch'?" },
        { ["gan", "train", "--max-minutes", "3"], "--max-minutes is now --minutes" },
        { ["gan", "train", "--minutes", "-5"], "--minutes must be a finite number >= 0, got -5." },
        { ["gan", "train", "--update", "both"], "Argument 'both' not recognized. Must be one of:" },
        { ["word2vec", "train", "--out", "v.txt"], "--out is now --vectors FILE" },
        { ["word2vec", "train", "--threads", "0"], $"--threads must be in [1, {Flags.MaxThreads}], got 0." },
        { ["mnist", "--device", "tpu"], "--device must name a device (cpu, cuda, cuda:N), got 'tpu'" },
        { ["titels"], "Unrecognized command or argument 'titels'. Did you mean 'titles'?" },
        { ["titles"], "'Functional.Cli titles' needs a command: baseline, train, pretrain, generate, eval, attention, export." },
        { [], "'Functional.Cli' needs a command: gan, mnist, titles, word2vec." },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public void A_bad_value_is_a_usage_error_that_names_the_flag(string[] args, string message)
    {
        var run = CommandLineRun.Of(args);
        Assert.True(run.ExitCode == Program.UsageError, run.ToString());
        Assert.True(run.Error.Contains(message, StringComparison.Ordinal), run.ToString());
        Assert.DoesNotContain("Usage:", run.Error + run.Output, StringComparison.Ordinal); // never the whole help page
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal); // never a stack trace
        Assert.StartsWith("See 'Functional.Cli", run.ErrorLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_where_a_file_is_expected_is_a_usage_error()
    {
        using var folder = new TemporaryFolder();
        foreach (var (args, message) in new[]
                 {
                     (new[] { "titles", "generate", "--file", folder.Path }, $"--file must be a file, but '{folder.Path}' is a folder."),
                     (["word2vec", "similar", "--vectors", folder.Path, "--word", "whale"], $"--vectors must be a file, but '{folder.Path}' is a folder."),
                     (["word2vec", "train", "--vectors", folder.Path], $"--vectors must be a file to write, but '{folder.Path}' is a folder."),
                     (["titles", "attention", "--png", folder.Path, "--text", "文章"], $"--png must be a file to write, but '{folder.Path}' is a folder."),
                 })
        {
            var run = CommandLineRun.Of(args);
            Assert.True(run.ExitCode == Program.UsageError && run.Error.Contains(message, StringComparison.Ordinal), run.ToString());
        }
    }

    [Fact]
    public void A_file_where_a_folder_is_expected_or_a_missing_one_is_a_usage_error()
    {
        using var folder = new TemporaryFolder();
        var file = folder.File("a.txt");
        File.WriteAllText(file, "x");
        var asFolder = CommandLineRun.Of(["mnist", "--out", file]);
        Assert.True(asFolder.ExitCode == Program.UsageError && asFolder.Error.Contains($"--out must be a folder, but '{file}' is a file.", StringComparison.Ordinal), asFolder.ToString());
        var missing = folder.File("none");
        var absent = CommandLineRun.Of(["titles", "train", "--data", missing]);
        Assert.True(absent.ExitCode == Program.UsageError && absent.Error.Contains($"--data: there is no file or folder '{missing}'.", StringComparison.Ordinal), absent.ToString());
    }

    [Fact]
    public void Help_is_per_command_and_exits_0()
    {
        var run = CommandLineRun.Of(["titles", "train", "--help"]);
        Assert.True(run.ExitCode == Program.Success, run.ToString());
        Assert.Contains("Functional.Cli titles train [options]", run.Output, StringComparison.Ordinal);
        Assert.Contains("--batch <N>", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("titles generate", run.Output, StringComparison.Ordinal);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public void Every_command_has_help_and_the_root_lists_the_families()
    {
        var root = CommandLineRun.Of(["--help"]);
        Assert.True(root.ExitCode == Program.Success, root.ToString());
        foreach (var family in new[] { "gan", "mnist", "titles", "word2vec" }) Assert.Contains($"  {family} ", root.Output, StringComparison.Ordinal);
        foreach (var path in HelpDefaultsTests.CommandPaths)
        {
            var run = CommandLineRun.Of([.. path.Split(' '), "--help"]);
            Assert.True(run.ExitCode == Program.Success && run.Output.Contains($"Functional.Cli {path}", StringComparison.Ordinal), run.ToString());
        }
    }

    [Fact]
    public void Equals_and_space_forms_are_the_same_and_version_is_printed()
    {
        using var data = new TemporaryFolder();
        foreach (var epochs in new[] { new[] { "--epochs=1" }, ["--epochs", "1"], ["-e", "1"], ["-e=1"] })
        {
            var parsed = Program.Parse(["titles", "train", "--data", data.Path, .. epochs, "--minutes=0.5"]);
            Assert.Empty(parsed.Errors);
            Assert.Equal(1, parsed.GetValue<int>("--epochs"));
            Assert.Equal(0.5, parsed.GetValue<double>("--minutes"));
        }
        foreach (var (args, expected) in new[] { (new[] { "--spectral-norm", "false" }, false), (["--spectral-norm=false"], false), (["--spectral-norm"], true), ([], true) })
        {
            var parsed = Program.Parse(["gan", "train", "--data", data.Path, .. args]);
            Assert.Empty(parsed.Errors);
            Assert.Equal(expected, parsed.GetValue<bool>("--spectral-norm"));
        }
        var version = CommandLineRun.Of(["--version"]);
        Assert.True(version.ExitCode == Program.Success && version.Output.Trim().Length > 0 && char.IsDigit(version.Output.Trim()[0]), version.ToString());
    }

    [Fact]
    public void A_failure_while_working_is_exit_1_with_one_line_even_when_it_is_an_argument_exception()
    {
        using var folder = new TemporaryFolder();
        var vectors = folder.File("vectors.txt");
        File.WriteAllText(vectors, "2 3\nwhale 1 0 0\nsperm 0 1 0\n");
        // WordVectors.Nearest throws an ArgumentException for an unknown word: a runtime failure, not bad usage.
        var run = CommandLineRun.Of(["word2vec", "similar", "--vectors", vectors, "--word", "zebra"]);
        Assert.True(run.ExitCode == Program.Failure, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: 'zebra' is not in the vocabulary", line, StringComparison.Ordinal);

        var verbose = CommandLineRun.Of(["word2vec", "similar", "--vectors", vectors, "--word", "zebra", "--verbose"]);
        Assert.True(verbose.ExitCode == Program.Failure && verbose.Error.Contains("   at ", StringComparison.Ordinal), verbose.ToString());

        var noModel = CommandLineRun.Of(["titles", "generate", "--model", folder.Path, "--text", "文章"]);
        Assert.True(noModel.ExitCode == Program.Failure, noModel.ToString());
        Assert.StartsWith($"error: No title model at {folder.Path}", Assert.Single(noModel.ErrorLines), StringComparison.Ordinal);

        var works = CommandLineRun.Of(["word2vec", "similar", "--vectors", vectors, "--word", "whale", "--count", "1"]);
        Assert.True(works.ExitCode == Program.Success && works.Output.StartsWith("sperm", StringComparison.Ordinal), works.ToString());
    }

    [Fact]
    public void A_command_stopped_by_ctrl_c_exits_130()
    {
        using var folder = new TemporaryFolder();
        var vectors = folder.File("vectors.txt");
        File.WriteAllText(vectors, "2 3\nwhale 1 0 0\nsperm 0 1 0\n");
        var run = CommandLineRun.Of(["word2vec", "similar", "--vectors", vectors, "--word", "whale"], stopped: true);
        Assert.True(run.ExitCode == Program.Interrupted, run.ToString());
        Assert.Contains("stopped by Ctrl-C", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_and_ci_command_lines_parse_as_written()
    {
        var lcsts = Functional.PropertyTests.SharedData.Folder("lcsts-part2-clge");
        if (!Directory.Exists(lcsts)) return; // the data sits beside the repository on the machines that train
        foreach (var args in new[]
                 {
                     new[] { "titles", "train", "--data", lcsts, "--out", "runs/titles", "--minutes", "30" },
                     ["titles", "generate", "--model", "runs/titles", "--text", "日前，方舟子发文直指林志颖旗下爱碧丽推销假保健品，起底其宣传的三大谎言。"],
                     ["titles", "eval", "--model", "runs/titles", "--data", lcsts, "--beam", "4"],
                     ["mnist", "--data", Functional.PropertyTests.SharedData.Folder("mnist-t10k"), "--epochs", "1"],
                 })
            Assert.Empty(Program.Parse(args).Errors);
    }
}
