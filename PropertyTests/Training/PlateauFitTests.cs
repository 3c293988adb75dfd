using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Training;

/// <summary><see cref="ReduceOnPlateau"/> inside <see cref="Fit.Run{TParams, TModelState, TBatch}"/>: fed each completed epoch's validation metric.</summary>
public sealed class PlateauFitTests
{
    static TrainingData<DigitBatch> Batches(DigitBatch data) => MnistTraining.Data(data, batchSize: 8, seed: 1, workers: 1);

    /// <summary>A validation reporting the next scripted score (the model is not looked at).</summary>
    static Func<DigitClassifier, NoState, IReadOnlyDictionary<string, double>> Scripted(params double[] scores)
    {
        var queue = new Queue<double>(scores);
        return (_, _) => new Dictionary<string, double> { ["score"] = queue.Dequeue() };
    }

    [Fact]
    public void Training_equals_the_inner_optimizer_until_the_first_plateau_and_then_applies_the_reduced_rate()
    {
        using var data = RandomDigits(32, 1); // 4 batches per epoch
        double[] scores = [5, 4, 3, 3, 3, 3];  // patience 2: the scale drops after epoch 4's validation (index 4)
        var inner = Optimizer.Adam(1e-2);
        var plateau = new ReduceOnPlateau(inner, "score", true, 0.1, 2, 0, 0, 0, 1, 0);
        var rates = new List<(long Step, double? Rate)>();
        var watch = new RateWatch(rates);

        var plain5 = Fit.Run(Loss, inner, TrainState.Init(Model(2), NoState.Value, inner, 3), Batches(data), Scripted(scores), new FitOptions { Epochs = 5 }, CancellationToken.None).State;
        var plain6 = Fit.Run(Loss, inner, TrainState.Init(Model(2), NoState.Value, inner, 3), Batches(data), Scripted(scores), new FitOptions { Epochs = 6 }, CancellationToken.None).State;
        var reduced5 = Fit.Run(Loss, plateau, TrainState.Init(Model(2), NoState.Value, plateau, 3), Batches(data), Scripted(scores), new FitOptions { Epochs = 5 }, CancellationToken.None).State;
        var reduced6 = Fit.Run(Loss, plateau, TrainState.Init(Model(2), NoState.Value, plateau, 3), Batches(data), Scripted(scores), new FitOptions { Epochs = 6, Observers = [watch] }, CancellationToken.None).State;

        Assert.True(Tree.Leaves(plain5.Parameters).Zip(Tree.Leaves(reduced5.Parameters)).All(pair => SameBytes(pair.Item1, pair.Item2)),
            "Before the first plateau the parameters must equal the inner optimizer's bit for bit.");
        Assert.Equal(0.1, OptimizerStates.Find<ReduceOnPlateauState>(reduced5.OptimizerState)!.Scale.item<double>());
        Assert.False(Tree.Leaves(plain6.Parameters).Zip(Tree.Leaves(reduced6.Parameters)).All(pair => SameBytes(pair.Item1, pair.Item2)),
            "After the drop the steps must differ from the inner optimizer's.");
        Assert.Equal(24, rates.Count);
        Assert.All(rates.Take(20), rate => Assert.Equal(1e-2, rate.Rate));
        Assert.All(rates.Skip(20), rate => Assert.Equal(1e-2 * 0.1, rate.Rate));
    }

    [Theory]
    [InlineData(13)]    // mid-epoch, between two micro-batches of an accumulated update
    [InlineData(2 * 9)] // an epoch end, after the metric was fed
    public void Resuming_with_a_plateau_gives_the_uninterrupted_run_bit_for_bit(long resumeStep)
    {
        using var data = RandomDigits(60, 11); // 9 batches of 7 per epoch
        // A relative tolerance of 0.9 makes every epoch after the first a plateau: the scale drops each epoch.
        IGradientTransformation Pipeline() => new ReduceOnPlateau(AccumulatedAdamWithEma(), "loss", true, 0.5, 1, 0.9, 0, 0, 1, 0);
        FitResult<DigitClassifier, NoState> Train(TrainState<DigitClassifier, NoState> from, CheckpointStore? store) =>
            Fit.Run(Loss, Pipeline(), from, MnistTraining.Data(data, batchSize: 7, seed: 5, workers: 1), MnistTraining.Validation(data),
                new FitOptions { Epochs = 4, Observers = store is null ? [] : [new CheckpointObserver(store, 1)] }, CancellationToken.None);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 100);

        var uninterrupted = Train(TrainState.Init(Model(2), NoState.Value, Pipeline(), 3), null).State;
        var checkpointed = Train(TrainState.Init(Model(2), NoState.Value, Pipeline(), 3), store).State;
        var loaded = TrainStateFile.Load(store, resumeStep, Model(99), NoState.Value, Pipeline());
        var resumed = Train(loaded, null).State;

        Assert.Equal(0.125, OptimizerStates.Find<ReduceOnPlateauState>(uninterrupted.OptimizerState)!.Scale.item<double>());
        Assert.True(SameState(uninterrupted, checkpointed), "Saving checkpoints changed the run.");
        Assert.True(SameState(uninterrupted, resumed), "The resumed run differs from the uninterrupted one.");
    }

    sealed class RateWatch(List<(long Step, double? Rate)> rates) : IFitObserver
    {
        public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step) => rates.Add((step.State.Step, step.AppliedLearningRate));
    }

    [Fact]
    public void A_plateau_pipeline_needs_its_metric_in_the_validation()
    {
        using var data = RandomDigits(16, 1);
        var plateau = ReduceOnPlateau.For(Optimizer.Adam(1e-2), "rouge");

        var missing = Assert.Throws<InvalidOperationException>(() =>
            Fit.Run(Loss, plateau, TrainState.Init(Model(2), NoState.Value, plateau, 3), Batches(data), MnistTraining.Validation(data), FitOptions.Default, CancellationToken.None));
        var none = Assert.Throws<ArgumentException>(() =>
            Fit.Run(Loss, plateau, TrainState.Init(Model(2), NoState.Value, plateau, 3), Batches(data), null, FitOptions.Default, CancellationToken.None));

        Assert.Contains("'rouge'", missing.Message);
        Assert.Contains("loss, accuracy", missing.Message);
        Assert.Contains("'rouge'", none.Message);
    }
}
