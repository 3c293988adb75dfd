using System.Text.Json;
using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Training;

/// <summary>metrics.jsonl records with wall time and the applied learning rate, and one JSON casing for the run's files (older files still read).</summary>
public sealed class RunFileTests
{
    [Fact]
    public void Metrics_records_carry_seconds_since_the_run_start_a_utc_time_and_the_applied_learning_rate_continuing_after_a_resume()
    {
        using var data = RandomDigits(32, 1);
        var log = Path.Combine(TemporaryFolder(), "metrics.jsonl");
        var schedule = new Functional.Optimizers.ExponentialDecay(0.1, 0.5, 4); // halves every 4 updates
        var pipeline = Optimizer.Sgd(schedule);
        FitResult<DigitClassifier, NoState> Train(TrainState<DigitClassifier, NoState> from, int epochs) =>
            Fit.Run(Loss, pipeline, from, MnistTraining.Data(data, batchSize: 8, seed: 1, workers: 1), MnistTraining.Validation(data),
                new FitOptions { Epochs = epochs, Observers = [new MetricsLogObserver(log)] }, CancellationToken.None);
        var before = DateTimeOffset.UtcNow;

        var first = Train(TrainState.Init(Model(2), NoState.Value, pipeline, 3), 1).State;
        var firstRecords = MetricsLog.Read(log);
        Thread.Sleep(50);
        Train(first, 2);
        var records = MetricsLog.Read(log);
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(4 + 1 + 4 + 1, records.Count);
        Assert.All(records, record =>
        {
            Assert.NotNull(record.Seconds);
            Assert.InRange(record.Time!.Value, before, after);
            Assert.Equal(TimeSpan.Zero, record.Time.Value.Offset);
        });
        Assert.Equal(records.Select(r => r.Seconds!.Value).Order(), records.Select(r => r.Seconds!.Value));
        Assert.True(records[5].Seconds >= firstRecords[^1].Seconds, "A resumed run's seconds continue from the log's last record.");
        var train = records.Where(r => r.Phase == "train").ToArray();
        Assert.Equal(train.Select(r => (double?)schedule.Value(r.Step - 1)), train.Select(r => r.LearningRate));
        Assert.All(records.Where(r => r.Phase == "validation"), r => Assert.Null(r.LearningRate));
        using var line = JsonDocument.Parse(File.ReadLines(log).First());
        Assert.Equal(["step", "epoch", "phase", "metrics", "seconds", "time", "learningRate"], line.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void A_metrics_line_without_the_new_fields_still_reads()
    {
        var log = Path.Combine(TemporaryFolder(), "metrics.jsonl");
        File.WriteAllText(log, "{\"step\":3,\"epoch\":0,\"phase\":\"train\",\"metrics\":{\"loss\":1.5}}\n");

        var record = Assert.Single(MetricsLog.Read(log));

        Assert.Equal((3L, "train", 1.5), (record.Step, record.Phase, record.Metrics["loss"]));
        Assert.Null(record.Seconds);
        Assert.Null(record.LearningRate);
    }

    [Fact]
    public void Checkpoint_manifests_are_written_in_camel_case_and_pascal_case_manifests_of_older_runs_still_load()
    {
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 3);
        using var tensor = TorchSharp.torch.ones(6);
        store.Save(7, [new NamedTensor("x", tensor)], new Dictionary<string, string>());
        var manifestPath = Path.Combine(store.Folder, "step-0000000007.json");

        using (var manifest = JsonDocument.Parse(File.ReadAllText(manifestPath)))
            Assert.Equal(["step", "file", "sha256"], manifest.RootElement.EnumerateObject().Select(p => p.Name));
        var camel = File.ReadAllText(manifestPath);
        File.WriteAllText(manifestPath, camel.Replace("\"step\"", "\"Step\"").Replace("\"file\"", "\"File\"").Replace("\"sha256\"", "\"Sha256\""));

        Assert.Null(store.ManifestProblem(7));
        var loaded = store.Load(7);
        Assert.True(SameBytes(tensor, Assert.Single(loaded.Tensors).Value));
    }
}
