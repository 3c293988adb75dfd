using Functional.Core;
using Functional.Optimizers;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.Training;

public sealed class ResumeTests
{
    const int Epochs = 3;

    static FitResult<DigitClassifier, NoState> Train(TrainState<DigitClassifier, NoState> from, DigitBatch data, CheckpointStore? store, int checkpointEvery, int workers) =>
        Fit.Run(Loss, AccumulatedAdamWithEma(), from, MnistTraining.Data(data, batchSize: 7, seed: 5, workers),
            MnistTraining.Validation(data), new FitOptions { Epochs = Epochs, Observers = store is null ? [] : [new CheckpointObserver(store, checkpointEvery)] },
            CancellationToken.None);

    [Theory]
    [InlineData(9)]   // mid-epoch, between two micro-batches of an accumulated update
    [InlineData(10)]  // mid-epoch, right after an update
    [InlineData(9 * 2)] // an epoch end
    public void Resuming_from_a_checkpoint_gives_the_uninterrupted_run_bit_for_bit(long resumeStep)
    {
        using var data = RandomDigits(60, 11); // 9 batches of 7 per epoch, the last one of 4
        var start = TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 100);

        var uninterrupted = Train(start, data, null, 0, workers: 1).State;
        var checkpointed = Train(start, data, store, checkpointEvery: 1, workers: 3).State;
        var loaded = TrainStateFile.Load(new CheckpointStore(store.Folder, keepLast: 100), resumeStep, Model(99), NoState.Value, AccumulatedAdamWithEma());
        var resumed = Train(loaded, data, null, 0, workers: 2).State;

        Assert.Equal(resumeStep, loaded.Step);
        Assert.Equal(new DataPosition((int)(resumeStep / 9), (int)(resumeStep % 9)), loaded.Position);
        Assert.Equal(Epochs * 9, uninterrupted.Step);
        Assert.True(SameState(uninterrupted, checkpointed), "Saving checkpoints changed the run.");
        Assert.True(SameState(uninterrupted, resumed), "The resumed run differs from the uninterrupted one.");
    }

    [Fact]
    public void A_bit_flip_or_a_truncation_is_refused_naming_the_file_and_resuming_takes_the_newest_intact_checkpoint()
    {
        using var data = RandomDigits(30, 11);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 5);
        Train(TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3), data, store, 0, 1);
        var steps = store.Steps();
        var newest = Path.Combine(store.Folder, $"step-{steps[^1]:D10}.safetensors");
        var bytes = File.ReadAllBytes(newest);

        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(newest, bytes);
        var flipped = Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(store, steps[^1], Model(2), NoState.Value, AccumulatedAdamWithEma()));
        var afterFlip = TrainStateFile.LoadLatest(store, Model(2), NoState.Value, AccumulatedAdamWithEma())!;
        File.WriteAllBytes(newest, bytes[..(bytes.Length / 3)]);
        var truncated = Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(store, steps[^1], Model(2), NoState.Value, AccumulatedAdamWithEma()));
        var afterTruncation = TrainStateFile.LoadLatest(store, Model(2), NoState.Value, AccumulatedAdamWithEma())!;

        foreach (var error in new[] { flipped, truncated })
        {
            Assert.Contains($"Checkpoint of step {steps[^1]} is damaged", error.Message);
            Assert.Contains(newest, error.Message);
        }
        foreach (var resumed in new[] { afterFlip, afterTruncation })
        {
            Assert.Equal(steps[^2], resumed.State.Step);
            Assert.Equal([steps[^1]], resumed.Skipped);
            Assert.Contains($"Passed over the checkpoint of step {steps[^1]}: Checkpoint of step {steps[^1]} is damaged", resumed.Describe());
            TrainState.Dispose(resumed.State);
        }
    }

    [Fact]
    public void A_checkpoint_of_another_model_or_pipeline_is_refused_naming_what_differs()
    {
        using var data = RandomDigits(14, 11);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 5);
        Train(TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3), data, store, 0, 1);

        var wider = Assert.Throws<InvalidDataException>(() => TrainStateFile.LoadLatest(store, Model(2, hidden: 17), NoState.Value, AccumulatedAdamWithEma()));
        var otherPipeline = Assert.Throws<InvalidDataException>(() => TrainStateFile.LoadLatest(store, Model(2), NoState.Value, Optimizer.Adam(1e-2)));

        Assert.Contains("written for another model", wider.Message);
        Assert.Contains("'features/inner/weight' is Float32[16, 784] in the checkpoint but Float32[17, 784] in the model", wider.Message);
        Assert.Contains("written for another optimizer pipeline", otherPipeline.Message);
        Assert.Contains("at 'optimizer/0/count' the pipeline expects Int64[], the checkpoint has no leaf", otherPipeline.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_train_state_is_refused()
    {
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 5);
        store.Save(4, TreeFile.Tensors(Model(2)), new Dictionary<string, string>());

        var error = Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(store, 4, Model(2), NoState.Value, Optimizer.Sgd(0.1)));

        Assert.Contains("not a train state", error.Message);
    }
}
