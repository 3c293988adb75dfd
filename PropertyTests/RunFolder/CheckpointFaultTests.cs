using Functional.Core;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.RunFolder;

/// <summary>
/// Faults in a checkpoint folder: a damaged newest checkpoint, an empty or truncated manifest, a deleted manifest, a
/// folder of which nothing loads. Each case names what survives: the run resumes from the newest intact checkpoint,
/// says so, and never silently restarts from step 0.
/// </summary>
public sealed class CheckpointFaultTests
{
    /// <summary>A store holding the checkpoints of steps 5, 10 and 15 of a small digit classifier run.</summary>
    static CheckpointStore Run(out IReadOnlyList<long> steps)
    {
        using var data = RandomDigits(30, 11);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 5);
        var result = Fit.Run(Loss, AccumulatedAdamWithEma(), TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3),
            MnistTraining.Data(data, batchSize: 7, seed: 5, workers: 1), MnistTraining.Validation(data),
            new FitOptions { Epochs = 3, Observers = [new CheckpointObserver(store)] }, CancellationToken.None);
        TrainState.Dispose(result.State);
        steps = store.Steps();
        Assert.Equal([5L, 10, 15], steps);
        return store;
    }

    static string PathOf(CheckpointStore store, long step, string extension) => Path.Combine(store.Folder, $"step-{step:D10}.{extension}");

    static Resumption<DigitClassifier, NoState> Resume(CheckpointStore store, bool restart = false) =>
        TrainStateFile.ResumeOrInit(new CheckpointStore(store.Folder, keepLast: 5), Model(2), NoState.Value, AccumulatedAdamWithEma(), 3, restart);

    [Fact]
    public void A_damaged_newest_checkpoint_falls_back_to_the_newest_intact_one_saying_so_and_is_set_aside()
    {
        var store = Run(out _);
        var newest = PathOf(store, 15, "safetensors");
        var bytes = File.ReadAllBytes(newest);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(newest, bytes);

        // Loading that step names the file; resuming takes step 10 and says why.
        var direct = Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(store, 15, Model(2), NoState.Value, AccumulatedAdamWithEma()));
        Assert.Contains($"Checkpoint of step 15 is damaged: {newest} has SHA-256", direct.Message);
        var resumed = Resume(store);

        Assert.Equal(10, resumed.FromStep);
        Assert.Equal(10, resumed.State.Step);
        Assert.Equal([15L], resumed.Skipped);
        Assert.Contains("Resuming from the checkpoint of step 10.", resumed.Describe());
        Assert.Contains($"Passed over the checkpoint of step 15: Checkpoint of step 15 is damaged: {newest}", resumed.Describe());
        Assert.Contains("Set aside the checkpoint of step 15 as *.damaged", resumed.Describe());
        // What survives: steps 5 and 10 as checkpoints, the damaged file kept aside for inspection.
        Assert.Equal([5L, 10], store.AllSteps());
        Assert.True(File.Exists(newest + ".damaged"));
        TrainState.Dispose(resumed.State);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"Step\":15,\"File\":\"step-00000")]
    [InlineData("{}")]
    public void An_empty_or_truncated_manifest_of_an_intact_file_resumes_from_it_verified_by_the_file_own_checksum(string manifest)
    {
        var store = Run(out _);
        var path = PathOf(store, 15, "json");
        File.WriteAllText(path, manifest);

        Assert.Equal($"its manifest {path} is empty, truncated or not a checkpoint manifest", store.ManifestProblem(15));
        var resumed = Resume(store);

        // What survives: the newest checkpoint itself; never "another model", never a restart.
        Assert.Equal(15, resumed.FromStep);
        Assert.Empty(resumed.Skipped);
        Assert.Contains($"The checkpoint of step 15 is intact but its manifest {path} is empty, truncated or not a checkpoint manifest; "
                        + "the file's own checksum verifies, so its manifest was written again.", resumed.Describe());
        Assert.Null(store.ManifestProblem(15));
        TrainState.Dispose(resumed.State);
    }

    [Fact]
    public void A_truncated_manifest_of_a_damaged_file_is_a_damaged_checkpoint_named_and_passed_over()
    {
        var store = Run(out _);
        var path = PathOf(store, 15, "json");
        File.WriteAllText(path, "{\"Step\":15,\"File\":\"step-00000");
        var bytes = File.ReadAllBytes(PathOf(store, 15, "safetensors"));
        bytes[^1] ^= 1;
        File.WriteAllBytes(PathOf(store, 15, "safetensors"), bytes);

        var direct = Assert.Throws<InvalidDataException>(() => store.Load(15));
        Assert.Contains($"Checkpoint of step 15 is damaged: not a valid model file: {PathOf(store, 15, "safetensors")}: sha256", direct.Message);
        var resumed = Resume(store);
        Assert.Equal(10, resumed.FromStep);
        Assert.Equal([15L], resumed.Skipped);
        TrainState.Dispose(resumed.State);
    }

    [Fact]
    public void A_deleted_manifest_resumes_from_its_checkpoint_verified_by_the_file_own_checksum_not_from_step_0()
    {
        var store = Run(out _);
        foreach (var step in new long[] { 5, 10, 15 }) File.Delete(PathOf(store, step, "json"));
        Assert.Empty(store.Steps());

        var resumed = Resume(store);

        Assert.Equal(15, resumed.FromStep);
        Assert.Contains("The checkpoint of step 15 had no manifest; its own checksum verifies", resumed.Describe());
        // What survives: the newest checkpoint, whose manifest is written again.
        Assert.True(File.Exists(PathOf(store, 15, "json")));
        TrainState.Dispose(resumed.State);
    }

    [Fact]
    public void Checkpoint_files_that_cannot_be_verified_refuse_a_silent_restart_and_an_explicit_restart_deletes_them()
    {
        var store = Run(out _);
        // A manifest deleted and the file damaged: nothing loads.
        foreach (var step in new long[] { 5, 10, 15 })
        {
            File.Delete(PathOf(store, step, "json"));
            var bytes = File.ReadAllBytes(PathOf(store, step, "safetensors"));
            bytes[^1] ^= 1;
            File.WriteAllBytes(PathOf(store, step, "safetensors"), bytes);
        }

        var refused = Assert.Throws<InvalidDataException>(() => Resume(store));
        Assert.Contains("has checkpoints (steps 5, 10, 15) but none can be loaded", refused.Message);
        Assert.Contains("Nothing was deleted", refused.Message);
        Assert.Contains("--restart", refused.Message);
        Assert.Equal([5L, 10, 15], store.AllSteps()); // nothing deleted by the refusal

        var restarted = Resume(store, restart: true);
        Assert.Null(restarted.FromStep);
        Assert.Equal(0, restarted.State.Step);
        Assert.Contains("Restarting as asked: deleted the 3 checkpoints", restarted.Describe());
        Assert.Empty(store.AllSteps());
        TrainState.Dispose(restarted.State);
    }

    [Fact]
    public void Resuming_from_an_older_checkpoint_then_saving_keeps_the_new_checkpoints_not_the_damaged_newer_one()
    {
        var store = Run(out _);
        var bytes = File.ReadAllBytes(PathOf(store, 15, "safetensors"));
        bytes[^1] ^= 1;
        File.WriteAllBytes(PathOf(store, 15, "safetensors"), bytes);
        var resumed = Resume(store);
        var keepTwo = new CheckpointStore(store.Folder, keepLast: 2);
        TrainStateFile.Save(keepTwo, resumed.State with { Step = 11 });
        TrainStateFile.Save(keepTwo, resumed.State with { Step = 12 });
        Assert.Equal([11L, 12], keepTwo.AllSteps());
        TrainState.Dispose(resumed.State);
    }
}
