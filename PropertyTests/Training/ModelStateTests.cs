using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.Training;

/// <summary>
/// Model state through the pure step, evaluation, the fit loop and checkpoints, with a model that keeps a running mean
/// of its input pixels (batch-norm-like: it centres by the batch mean in training and by the running mean in evaluation).
/// </summary>
public sealed class ModelStateTests
{
    /// <summary>The running mean of the pixels [784] and the count of batches seen (a 0-d int64 tensor).</summary>
    sealed record PixelStats(torch.Tensor Mean, torch.Tensor Batches);

    static PixelStats FreshStats() => new(torch.zeros(DigitClassifier.Pixels), torch.tensor(0L));

    /// <summary>Whether any model-state leaf the model was given required a gradient (it never may).</summary>
    static bool givenStateRequiredGradient;

    /// <summary>
    /// The digit classifier on centred pixels. In training the next running mean is <c>(old + batch mean) / 2</c>; it is
    /// made to depend on the parameters (times zero) so that the step must cut the graph.
    /// </summary>
    static ModelOutput<PixelStats> CentredModel(DigitClassifier parameters, DigitBatch batch, StepContext<PixelStats> context)
    {
        var stats = context.State;
        givenStateRequiredGradient |= stats.Mean.requires_grad || stats.Batches.requires_grad;
        var batchMean = batch.Pixels.mean([0]);
        var centred = new DigitBatch(batch.Pixels.sub(context.Training ? batchMean : stats.Mean), batch.Digits);
        var plain = DigitClassifier.Model(parameters, centred, context);
        var output = new ModelOutput<PixelStats>(plain.Loss, plain.Metrics);
        if (!context.Training) return output;
        using var half = 0.5.ToScalar();
        var leak = parameters.Output.Bias!.sum().mul(Scalars.Zero);
        var next = new PixelStats(stats.Mean.add(batchMean.detach(), Scalars.One).mul(half).add(leak, Scalars.One), stats.Batches.add(Scalars.One, Scalars.One));
        return output with { NextState = next };
    }

    static readonly ModelLoss<DigitClassifier, PixelStats, DigitBatch> Centred = CentredModel;

    [Fact]
    public void The_step_threads_the_state_the_model_returns_and_evaluation_reads_it_without_changing_it()
    {
        var pipeline = Optimizer.Adam(1e-2);
        var state = TrainState.Init(Model(2), FreshStats(), pipeline, 3);
        var expected = torch.zeros(DigitClassifier.Pixels);
        using var half = 0.5.ToScalar();
        for (ulong k = 0; k < 5; k++)
        {
            using var batch = RandomDigits(16, 10 + k);
            expected = expected.add(batch.Pixels.mean([0]), Scalars.One).mul(half);
            state = TrainingSteps.Step(Centred, pipeline, state, batch).State;
        }
        var stats = state.ModelState;
        Assert.True(SameBytes(expected, stats.Mean));
        Assert.Equal(5L, stats.Batches.item<long>());

        using var held = RandomDigits(32, 99);
        var before = stats.Mean.clone();
        // Evaluation releases its batches, so it gets an alias of the held-out batch.
        var evaluated = TrainingSteps.Evaluate(Centred, state.Parameters, state.ModelState, [new DigitBatch(held.Pixels.alias(), held.Digits.alias())]);
        Assert.True(SameBytes(before, stats.Mean));
        // Evaluation centred by the running mean, not by the held-out batch's own mean.
        using var centredByRunning = new DigitBatch(held.Pixels.sub(before), held.Digits);
        var byHand = TrainingSteps.Evaluate(Loss, state.Parameters, NoState.Value, [centredByRunning]);
        Assert.Equal(byHand["loss"], evaluated["loss"]);
    }

    [Fact]
    public void No_gradient_reaches_the_state_and_the_optimizer_never_sees_it()
    {
        using var batch = RandomDigits(16, 1);
        var pipeline = new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.9, BiasCorrection: true));
        givenStateRequiredGradient = false;
        var state = TrainState.Init(Model(2), FreshStats(), pipeline, 3);
        for (var k = 0; k < 3; k++) state = TrainingSteps.Step(Centred, pipeline, state, batch).State;

        Assert.False(givenStateRequiredGradient, "The model was given a state leaf that requires a gradient.");
        Assert.All(Tree.Leaves(state.ModelState), leaf => Assert.False(leaf.requires_grad));
        var parameterCount = Tree.LeafCount(state.Parameters);
        var optimizerPaths = OptimizerStates.Tensors(state.OptimizerState).Select(t => t.shape).Where(shape => shape.SequenceEqual(new long[] { DigitClassifier.Pixels })).ToArray();
        Assert.Empty(optimizerPaths); // no [784] vector: the optimizer state holds only parameter-shaped leaves and counters
        Assert.True(parameterCount > 0);
    }

    [Fact]
    public void The_step_is_pure_in_the_model_state_and_the_next_state_outlives_the_previous_one()
    {
        using var batch = RandomDigits(16, 1);
        var pipeline = Optimizer.Adam(1e-2);
        var state = TrainState.Init(Model(2), FreshStats(), pipeline, 3);
        state = TrainingSteps.Step(Centred, pipeline, state, batch).State;
        var given = Tree.Leaves(state.ModelState).Select(t => t.clone()).ToArray();

        var first = TrainingSteps.Step(Centred, pipeline, state, batch).State;
        var second = TrainingSteps.Step(Centred, pipeline, state, batch).State;

        Assert.All(given.Zip(Tree.Leaves(state.ModelState)), pair => Assert.True(SameBytes(pair.Item1, pair.Item2)));
        Assert.True(SameState(first, second));
        TrainState.Dispose(state);
        Assert.Equal(2L, first.ModelState.Batches.item<long>());
        Assert.True(double.IsFinite(first.ModelState.Mean.sum().item<float>()));
    }

    [Fact]
    public void A_state_of_another_structure_is_refused_naming_the_path()
    {
        // A state of another type (or a state where the train state has none) no longer compiles: the model's state type
        // is the train state's. What remains for run time is a state of the same type with other shapes.
        using var batch = RandomDigits(8, 1);
        var pipeline = Optimizer.Sgd(0.1);
        ModelLoss<DigitClassifier, PixelStats, DigitBatch> shrinking = (p, b, c) =>
        {
            var plain = DigitClassifier.Model(p, b, c);
            return new ModelOutput<PixelStats>(plain.Loss, plain.Metrics) { NextState = new PixelStats(torch.zeros(3), torch.tensor(0L)) };
        };

        var reshaped = Assert.Throws<InvalidOperationException>(() => TrainingSteps.Step(shrinking, pipeline, TrainState.Init(Model(2), FreshStats(), pipeline, 3), batch));

        Assert.Contains("'mean'", reshaped.Message);
        Assert.Contains("[784]", reshaped.Message);
        Assert.Contains("[3]", reshaped.Message);
    }

    static FitResult<DigitClassifier, PixelStats> Train(TrainState<DigitClassifier, PixelStats> from, DigitBatch data, CheckpointStore? store) =>
        Fit.Run(Centred, AccumulatedAdamWithEma(), from, MnistTraining.Data(data, batchSize: 7, seed: 5, workers: 1),
            // Evaluation releases its batches, so it gets aliases of the data.
            (parameters, modelState) => TrainingSteps.Evaluate(Centred, parameters, modelState, [new DigitBatch(data.Pixels.alias(), data.Digits.alias())]),
            new FitOptions { Epochs = 2, Observers = store is null ? [] : [new CheckpointObserver(store, 1)] }, CancellationToken.None);

    [Theory]
    [InlineData(5)]  // mid-epoch, between two micro-batches of an accumulated update
    [InlineData(12)] // mid-epoch of the second epoch, right after an update
    public void Resuming_a_model_with_state_and_dropout_gives_the_uninterrupted_run_bit_for_bit(long resumeStep)
    {
        using var data = RandomDigits(60, 11); // 9 batches of 7 per epoch
        var start = TrainState.Init(Model(2), FreshStats(), AccumulatedAdamWithEma(), 3);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 100);

        var uninterrupted = Train(start, data, null).State;
        var checkpointed = Train(start, data, store).State;
        var loaded = TrainStateFile.Load(new CheckpointStore(store.Folder, keepLast: 100), resumeStep, Model(99), FreshStats(), AccumulatedAdamWithEma());
        var resumed = Train(loaded, data, null).State;

        Assert.Equal(resumeStep, loaded.ModelState.Batches.item<long>());
        Assert.True(SameState(uninterrupted, checkpointed), "Saving checkpoints changed the run.");
        Assert.True(SameState(uninterrupted, resumed), "The resumed run differs from the uninterrupted one.");
    }

    [Fact]
    public void A_checkpoint_whose_model_state_does_not_fit_the_model_is_refused_naming_what_differs()
    {
        using var data = RandomDigits(14, 11);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 5);
        Train(TrainState.Init(Model(2), FreshStats(), AccumulatedAdamWithEma(), 3), data, store);
        var step = store.Steps()[^1];
        var stateless = Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(store, step, Model(2), NoState.Value, AccumulatedAdamWithEma()));
        var otherShape = Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(store, step, Model(2),
            new PixelStats(torch.zeros(10), torch.tensor(0L)), AccumulatedAdamWithEma()));
        var statelessStore = new CheckpointStore(TemporaryFolder(), keepLast: 5);
        Fit.Run(Loss, AccumulatedAdamWithEma(), TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3), MnistTraining.Data(data, 7, 5, 1), null,
            new FitOptions { Epochs = 1, Observers = [new CheckpointObserver(statelessStore, 1)] }, CancellationToken.None);
        var missing = Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(statelessStore, statelessStore.Steps()[^1], Model(2), FreshStats(), AccumulatedAdamWithEma()));

        Assert.Contains("has model state ('model-state/", stateless.Message);
        Assert.Contains("has none", stateless.Message);
        Assert.Contains("'mean'", otherShape.Message);
        Assert.Contains("[784]", otherShape.Message);
        Assert.Contains("[10]", otherShape.Message);
        Assert.Contains("no 'mean'", missing.Message);
    }
}
