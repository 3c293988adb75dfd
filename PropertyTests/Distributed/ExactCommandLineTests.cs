using Functional.Cli;
using Functional.PropertyTests.CommandLine;
using Functional.PropertyTests.Training;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>
/// The command line's data-parallel flags (<c>--exact</c>, <c>--micro-shards</c>, <c>--zero</c>): <c>titles train --exact</c>
/// under <c>mpirun -np 2</c> writes the checkpoint bytes of one process (<c>-np 1</c>), and so does it with ZeRO-1
/// sharded optimizer state (<c>--zero</c>); in a process not started by <c>mpirun</c> the flags are a usage error that says how to use them.
/// </summary>
public sealed class ExactCommandLineTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(240);

    static readonly string[] TinyModel =
        ["--embedding", "8", "--encoder-hidden", "6", "--decoder-hidden", "8", "--output-hidden", "12", "--max-article", "16", "--max-title", "8",
         "--epochs", "2", "--batch", "8", "--val-subset", "4", "--workers", "1", "--threads", "1", "--min-count", "1", "--checkpoint-every", "3"];

    /// <summary>A corpus of 40 training pairs (5 batches of 8) and 4 validation pairs of random letters, in a fresh folder.</summary>
    static string Corpus()
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var random = new Random(7);
        string Pair()
        {
            var content = new string(Enumerable.Range(0, random.Next(8, 20)).Select(_ => (char)('a' + random.Next(12))).ToArray());
            return content[..4] + "\t" + content;
        }
        File.WriteAllLines(Path.Combine(folder, "train.tsv"), Enumerable.Range(0, 40).Select(_ => Pair()));
        File.WriteAllLines(Path.Combine(folder, "val.tsv"), Enumerable.Range(0, 4).Select(_ => Pair()));
        return folder;
    }

    /// <summary>The newest checkpoint's name and bytes after <c>titles train</c> with <paramref name="ranks"/> processes and <paramref name="flags"/>.</summary>
    (string Name, byte[] Bytes) Train(string data, int ranks, params string[] flags)
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var job = MpiJob.Run(ranks, Timeout, [], MpiJob.CommandLine, ["titles", "train", "--data", data, "--out", folder, .. TinyModel, .. flags]);
        output.WriteLine($"-np {ranks} {string.Join(' ', flags)}: exit {job.ExitCode} after {job.Took.TotalSeconds:F1} s");
        Assert.True(job.ExitCode == 0, $"-np {ranks} {string.Join(' ', flags)}: exit {job.ExitCode}\n{job.Output}");
        var newest = Directory.GetFiles(Path.Combine(folder, "checkpoints"), "step-*.safetensors").Order(StringComparer.Ordinal).Last();
        return (Path.GetFileName(newest), File.ReadAllBytes(newest));
    }

    [MpiFact]
    public void Titles_train_exact_on_two_processes_writes_the_checkpoint_bytes_of_one_with_and_without_sharded_optimizer_state()
    {
        var data = Corpus();
        var one = Train(data, 1, "--exact", "--micro-shards", "4");
        var two = Train(data, 2, "--exact", "--micro-shards", "4");
        // ZeRO-1 cannot shard a weight average (ZeroShards refuses it by name), so those runs keep none.
        var oneSharded = Train(data, 1, "--exact", "--micro-shards", "4", "--zero", "--ema", "0");
        var twoSharded = Train(data, 2, "--exact", "--micro-shards", "4", "--zero", "--ema", "0");

        Assert.Equal("step-0000000010.safetensors", one.Name);   // 2 epochs of 5 batches
        foreach (var (what, reference, other) in new[] { ("2 processes", one, two), ("2 processes with --zero", oneSharded, twoSharded) })
        {
            Assert.Equal(reference.Name, other.Name);
            var differing = reference.Bytes.Zip(other.Bytes).Count(p => p.Item1 != p.Item2);
            Assert.True(reference.Bytes.Length == other.Bytes.Length && differing == 0,
                $"{what} wrote a checkpoint that differs from one process's ({other.Bytes.Length} and {reference.Bytes.Length} bytes, {differing} bytes differ).");
        }
    }

    [Theory]
    [InlineData("--exact")]
    [InlineData("--overlap")]
    public void Data_parallel_flags_in_one_process_are_a_usage_error_that_says_to_start_it_with_mpirun(string flag)
    {
        if (Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null) return;   // the tests themselves under mpirun
        var folder = TrainingFixtures.TemporaryFolder();
        var run = CommandLineRun.Of(["mnist", "--data", SharedData.Folder("mnist-t10k"), "--out", folder, flag]);
        Assert.True(run.ExitCode == Program.UsageError, run.ToString());
        Assert.Contains("mpirun -np N", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, "checkpoints")), "Nothing is trained.");
    }

    [Theory]
    [InlineData(new[] { "--zero" }, "--zero shards the optimizer state of the exact reduction")]
    [InlineData(new[] { "--exact", "--overlap" }, "--overlap applies to the plain reduction")]
    [InlineData(new[] { "--micro-shards", "4" }, "--micro-shards is the cut of the exact reduction")]
    public void Data_parallel_flags_that_do_not_combine_are_refused_naming_them(string[] flags, string expected)
    {
        var run = CommandLineRun.Of(["titles", "train", "--out", TrainingFixtures.TemporaryFolder(), .. flags]);
        Assert.True(run.ExitCode == Program.UsageError, run.ToString());
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("titles", "train")]
    [InlineData("mnist", null)]
    public void Zero_with_a_weight_average_is_a_usage_error_that_says_to_give_ema_0(string command, string? subcommand)
    {
        // Both commands keep a weight average by default; ZeRO-1 would shard it, so before this rule the ranks of an
        // mpirun job each failed at the first step instead of the command line saying what to give.
        string[] start = subcommand is null ? [command] : [command, subcommand];
        var folder = TrainingFixtures.TemporaryFolder();
        var run = CommandLineRun.Of([.. start, "--out", folder, "--exact", "--zero"]);
        Assert.True(run.ExitCode == Program.UsageError, run.ToString());
        Assert.Contains("--zero keeps no weight average: give --ema 0", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, "checkpoints")), "Nothing is trained.");
        var withoutAverage = CommandLineRun.Of([.. start, "--out", folder, "--exact", "--zero", "--ema", "0"]);
        Assert.DoesNotContain("weight average", withoutAverage.Error, StringComparison.Ordinal);
    }
}
