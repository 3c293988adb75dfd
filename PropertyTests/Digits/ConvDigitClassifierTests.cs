using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Digits;

public sealed class ConvDigitClassifierTests
{
    const int Epochs = 3;

    /// <summary>A narrow classifier (4 and 8 feature maps) with dropout, fast enough for many steps in a test.</summary>
    static ConvDigitClassifier Conv(ulong seed)
    {
        using var generator = new torch.Generator(seed);
        return ConvDigitClassifier.Init(generator, channels: 4, dropoutRate: 0.3, torch.CPU);
    }

    static ConvDigitStats Stats(ConvDigitClassifier model) => ConvDigitClassifier.InitStats(model);

    static FitResult<ConvDigitClassifier, ConvDigitStats> Train(TrainState<ConvDigitClassifier, ConvDigitStats> from, DigitBatch data, CheckpointStore? store, int checkpointEvery, int workers) =>
        Fit.Run(ConvDigitClassifier.Model, AccumulatedAdamWithEma(), from, MnistTraining.Data(data, batchSize: 7, seed: 5, workers),
            ConvMnistTraining.Validation(data), new FitOptions { Epochs = Epochs, Observers = store is null ? [] : [new CheckpointObserver(store, checkpointEvery)] },
            CancellationToken.None);

    static bool SameLeaves<T>(T first, T second) =>
        Tree.Leaves(first).Zip(Tree.Leaves(second)).All(pair => SameBytes(pair.Item1, pair.Item2)) && Tree.LeafCount(first) == Tree.LeafCount(second);

    [Fact]
    public void Training_with_Fit_lowers_the_loss_updates_the_statistics_and_evaluation_leaves_them_as_they_are()
    {
        using var data = RandomDigits(56, 3); // 8 batches of 7 per epoch
        var model = Conv(1);
        var optimizer = Optimizer.Adam(1e-2);
        var initial = ConvDigitClassifier.InitStats(model);

        var result = Fit.Run(ConvDigitClassifier.Model, optimizer, TrainState.Init(model, initial, optimizer, 3),
            MnistTraining.Data(data, batchSize: 7, seed: 1, workers: 1), ConvMnistTraining.Validation(data), new FitOptions { Epochs = 4 }, CancellationToken.None);

        Assert.Equal(FitEnd.Completed, result.End);
        Assert.True(result.History[^1].Validation["loss"] < result.History[0].Validation["loss"] - 0.3,
            $"Validation loss went from {result.History[0].Validation["loss"]} to {result.History[^1].Validation["loss"]}.");
        var trained = result.State.ModelState;
        foreach (var stats in new[] { trained.First, trained.Second })
        {
            Assert.Equal(4 * 8, stats.BatchesTracked.item<long>());
            Assert.False(SameBytes(torch.zeros_like(stats.RunningMean), stats.RunningMean), "the running mean did not move");
            Assert.False(SameBytes(torch.ones_like(stats.RunningVar), stats.RunningVar), "the running variance did not move");
            Assert.False(stats.RunningMean.requires_grad);
        }

        // Evaluation reads the statistics and returns them unchanged; the caller's tensors are untouched.
        var before = Tree.Leaves(trained).Select(leaf => leaf.clone()).ToArray();
        var evaluation = TrainingSteps.Evaluate<ConvDigitClassifier, ConvDigitStats, DigitBatch>(ConvDigitClassifier.Model, result.State.Parameters, result.State.ModelState,
            [DigitBatch.Gather(data.Pixels, data.Digits, Enumerable.Range(0, 20).ToArray())]);
        Assert.InRange(evaluation["accuracy"], 0, 1);
        Assert.True(Tree.Leaves(trained).Zip(before).All(pair => SameBytes(pair.Item1, pair.Item2)), "evaluation changed the model state");

        // In evaluation the model returns no next state, and an example's logits do not depend on the rest of the batch.
        using var generator = new torch.Generator(7);
        var batch = DigitBatch.Gather(data.Pixels, data.Digits, Enumerable.Range(0, 5).ToArray());
        var output = ConvDigitClassifier.Model(result.State.Parameters, batch, new StepContext<ConvDigitStats>(false, generator, Capture.None, result.State.ModelState));
        Assert.Null(output.NextState);
        var all = ConvDigitClassifier.Logits(result.State.Parameters, trained, batch.Pixels, training: false, generator).Logits;
        var alone = ConvDigitClassifier.Logits(result.State.Parameters, trained, batch.Pixels.narrow(0, 2, 1), training: false, generator).Logits;
        Assert.True(all.narrow(0, 2, 1).allclose(alone, rtol: 1e-5, atol: 1e-6));
        TrainState.Dispose(result.State);
    }

    [Theory]
    [InlineData(5)]  // mid-epoch, between two micro-batches of an accumulated update
    [InlineData(12)] // mid-epoch of the second epoch, right after an update
    [InlineData(9)]  // an epoch end
    public void Resuming_from_a_checkpoint_gives_the_uninterrupted_parameters_and_model_state_bit_for_bit(long resumeStep)
    {
        using var data = RandomDigits(60, 11); // 9 batches of 7 per epoch, the last one of 4
        var start = TrainState.Init(Conv(2), Stats(Conv(2)), AccumulatedAdamWithEma(), 3);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 100);

        var uninterrupted = Train(start, data, null, 0, workers: 1).State;
        var checkpointed = Train(start, data, store, checkpointEvery: 1, workers: 3).State;
        var loaded = TrainStateFile.Load(new CheckpointStore(store.Folder, keepLast: 100), resumeStep, Conv(99), Stats(Conv(99)), AccumulatedAdamWithEma());
        var resumed = Train(loaded, data, null, 0, workers: 2).State;

        Assert.Equal(resumeStep, loaded.Step);
        Assert.Equal(resumeStep, loaded.ModelState.First.BatchesTracked.item<long>());
        Assert.Equal(Epochs * 9, uninterrupted.Step);
        Assert.Equal(Epochs * 9, uninterrupted.ModelState.Second.BatchesTracked.item<long>());
        Assert.True(SameState(uninterrupted, checkpointed), "Saving checkpoints changed the run.");
        Assert.True(SameState(uninterrupted, resumed), "The resumed run differs from the uninterrupted one.");
        Assert.True(SameLeaves(uninterrupted.ModelState, checkpointed.ModelState), "Saving checkpoints changed the model state.");
        Assert.True(SameLeaves(uninterrupted.ModelState, resumed.ModelState), "The resumed model state differs from the uninterrupted one.");
    }
}
