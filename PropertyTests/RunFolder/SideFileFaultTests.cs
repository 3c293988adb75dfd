using Functional.Core;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.RunFolder;

/// <summary>
/// Faults in the side files of a run folder: a torn last log line, a corrupt line in the middle, a write that fails
/// half-way, leftovers of a killed write, a log that holds steps after the checkpoint a run resumes from.
/// </summary>
public sealed class SideFileFaultTests
{
    const string Record = """{"step":1,"epoch":0,"phase":"train","metrics":{"loss":0.5}}""";

    static string Log(string content)
    {
        var path = Path.Combine(TemporaryFolder(), "metrics.jsonl");
        File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [InlineData("""{"step":2,"epoch":0,"pha""")]
    [InlineData("""{"step":2,"epoch":0,"phase":"train","metrics":{"loss":0.4}""")]
    [InlineData("\0\0\0\0")]
    public void A_torn_last_log_line_is_dropped_with_a_warning_naming_file_and_line(string torn)
    {
        var path = Log(Record + "\n" + torn);
        var warnings = new StringWriter();

        var records = MetricsLog.Read(path, warnings);

        Assert.Equal([1L], records.Select(r => r.Step)); // what survives: every complete record
        Assert.Contains($"{path} line 2: dropped a torn last line", warnings.ToString());
        Assert.Single(MetricsLog.Read(path)); // the plain form drops it too, without a crash
    }

    [Fact]
    public void A_corrupt_line_in_the_middle_is_an_error_naming_file_and_line()
    {
        var path = Log(Record + "\n{\"step\":2,\"ep\n" + Record + "\n");
        var error = Assert.Throws<InvalidDataException>(() => MetricsLog.Read(path, TextWriter.Null));
        Assert.StartsWith($"{path} line 2 is not a metric record", error.Message);
    }

    [Fact]
    public void Truncating_the_log_to_the_resumed_step_drops_later_records_and_a_torn_line_atomically()
    {
        var lines = Enumerable.Range(1, 6).Select(step => Record.Replace("\"step\":1", $"\"step\":{step}")).ToArray();
        var path = Log(string.Join("\n", lines) + "\n" + lines[0][..20]);
        var warnings = new StringWriter();

        var dropped = MetricsLog.TruncateAfter(path, 4, warnings);

        Assert.Equal(2, dropped);
        Assert.Equal(string.Join("\n", lines[..4]) + "\n", File.ReadAllText(path));
        Assert.Contains("dropped 2 records of steps after 4", warnings.ToString());
        Assert.Equal(0, MetricsLog.TruncateAfter(path, 4, warnings)); // nothing more to drop
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void A_run_resumed_from_an_older_checkpoint_logs_every_step_once()
    {
        using var data = RandomDigits(30, 11); // 5 steps an epoch
        var folder = TemporaryFolder();
        var store = new CheckpointStore(Path.Combine(folder, "checkpoints"), keepLast: 10);
        var logPath = Path.Combine(folder, "metrics.jsonl");
        FitResult<DigitClassifier, NoState> Train(TrainState<DigitClassifier, NoState> from, int epochs) =>
            Fit.Run(Loss, AccumulatedAdamWithEma(), from, MnistTraining.Data(data, batchSize: 7, seed: 5, workers: 1), MnistTraining.Validation(data),
                new FitOptions { Epochs = epochs, Observers = [new MetricsLogObserver(logPath), new CheckpointObserver(store)] }, CancellationToken.None);

        TrainState.Dispose(Train(TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3), 3).State); // steps 1-15 logged, checkpoints 5, 10, 15
        var older = TrainStateFile.Load(store, 10, Model(2), NoState.Value, AccumulatedAdamWithEma());             // as after losing steps 11-15
        TrainState.Dispose(Train(older, 4).State);

        var train = MetricsLog.Read(logPath).Where(r => r.Phase == "train").Select(r => r.Step).ToArray();
        Assert.Equal(Enumerable.Range(1, 20).Select(s => (long)s), train);
        var validation = MetricsLog.Read(logPath).Where(r => r.Phase == "validation").Select(r => r.Step).ToArray();
        Assert.Equal([5L, 10, 15, 20], validation);
    }

    [Fact]
    public void An_atomic_write_that_fails_half_way_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        var folder = TemporaryFolder();
        var path = Path.Combine(folder, "best-rouge-l.txt");
        AtomicFile.WriteAllText(path, "0.25");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("0.3"u8);
            throw new InvalidOperationException("killed half-way");
        }));

        Assert.Equal("0.25", File.ReadAllText(path));
        Assert.Equal([path], Directory.EnumerateFiles(folder));
    }

    [Fact]
    public void Leftovers_of_a_killed_write_are_removed_and_nothing_else()
    {
        var folder = TemporaryFolder();
        var leftover = Path.Combine(folder, $"train-vocabulary.txt.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(leftover, "half");
        File.WriteAllText(Path.Combine(folder, "notes.tmp"), "mine");
        AtomicFile.WriteAllText(Path.Combine(folder, "train-vocabulary.txt"), "a\n");

        Assert.Equal([Path.GetFileName(leftover)], AtomicFile.RemoveLeftovers(folder));
        Assert.Equal(["notes.tmp", "train-vocabulary.txt"], Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order());
    }
}
