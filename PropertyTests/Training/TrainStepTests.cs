using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.Training;

public sealed class TrainStepTests
{
    [Fact]
    public void A_step_leaves_its_inputs_as_they_were_and_is_a_function_of_them()
    {
        using var batch = RandomDigits(32, 1);
        var state = TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3);
        var before = Tree.Leaves(state.Parameters).Select(p => p.clone()).Append(state.RandomState.clone()).Append(batch.Pixels.clone()).ToArray();

        var first = TrainingSteps.Step(Loss, AccumulatedAdamWithEma(), state, batch);
        var second = TrainingSteps.Step(Loss, AccumulatedAdamWithEma(), state, batch);

        var after = Tree.Leaves(state.Parameters).Append(state.RandomState).Append(batch.Pixels).ToArray();
        Assert.All(before.Zip(after), pair => Assert.True(SameBytes(pair.Item1, pair.Item2)));
        Assert.True(SameState(first.State, second.State));
        Assert.Equal(first.Metrics, second.Metrics);
    }

    [Fact]
    public void A_step_advances_the_count_the_data_position_and_the_random_state()
    {
        using var batch = RandomDigits(8, 1);
        var state = TrainState.Init(Model(2), NoState.Value, Optimizer.Sgd(0.1), 3) with { Position = new DataPosition(2, 5) };

        var next = TrainingSteps.Step(Loss, Optimizer.Sgd(0.1), state, batch).State;

        Assert.Equal(1, next.Step);
        Assert.Equal(new DataPosition(2, 6), next.Position);
        Assert.False(SameBytes(state.RandomState, next.RandomState));
    }

    [Fact]
    public void The_new_state_survives_the_release_of_the_old_one()
    {
        using var batch = RandomDigits(8, 1);
        var pipeline = AccumulatedAdamWithEma();
        var state = TrainState.Init(Model(2), NoState.Value, pipeline, 3);
        for (var i = 0; i < 5; i++)
        {
            var next = TrainingSteps.Step(Loss, pipeline, state, batch).State;
            TrainState.Dispose(state);
            state = next;
        }

        Assert.All(Tree.Leaves(state.Parameters), p => Assert.True(double.IsFinite(p.sum().item<float>())));
        Assert.NotNull(OptimizerStates.Describe(state.OptimizerState));
    }

    [Fact]
    public void Metrics_computed_inside_the_model_come_out_as_numbers_beside_the_loss()
    {
        using var batch = RandomDigits(16, 1);
        var model = Model(2);
        var state = TrainState.Init(model, NoState.Value, Optimizer.Sgd(0.1), 3);

        var metrics = TrainingSteps.Step(Loss, Optimizer.Sgd(0.1), state, batch).Metrics;

        using var noGradient = torch.no_grad();
        using var generator = new torch.Generator(0);
        var expected = DigitClassifier.Logits(model, batch.Pixels, training: false, generator).argmax(1).eq(batch.Digits).to(torch.float32).mean().item<float>();
        Assert.Equal(["accuracy", "loss"], metrics.Keys.Order());
        Assert.InRange(metrics["loss"], 1.5, 3.5);
        // Dropout makes the training accuracy differ from the evaluation accuracy, but both are shares of 16 examples.
        Assert.Equal(0, metrics["accuracy"] * 16 % 1, 5);
        Assert.Equal(0, expected * 16 % 1, 5);
    }

    [Fact]
    public void A_metric_that_is_not_one_number_or_that_takes_the_loss_name_is_refused()
    {
        using var batch = RandomDigits(4, 1);
        var state = TrainState.Init(Model(2), NoState.Value, Optimizer.Sgd(0.1), 3);
        ModelLoss<DigitClassifier, NoState, DigitBatch> vector = (p, b, c) =>
            new ModelOutput(DigitClassifier.Model(p, b, c).Loss, new Dictionary<string, torch.Tensor> { ["logits"] = DigitClassifier.Logits(p, b.Pixels, false, c.Generator) });
        ModelLoss<DigitClassifier, NoState, DigitBatch> named = (p, b, c) =>
            new ModelOutput(DigitClassifier.Model(p, b, c).Loss, new Dictionary<string, torch.Tensor> { ["loss"] = torch.tensor(1f) });

        var shape = Assert.Throws<ArgumentException>(() => TrainingSteps.Step(vector, Optimizer.Sgd(0.1), state, batch));
        var reserved = Assert.Throws<ArgumentException>(() => TrainingSteps.Step(named, Optimizer.Sgd(0.1), state, batch));

        Assert.Contains("'logits' must be a single number, got Float32[4, 10]", shape.Message);
        Assert.Contains("reserved", reserved.Message);
    }

    [Fact]
    public void Evaluation_uses_the_parameter_average_when_the_pipeline_keeps_one()
    {
        using var batch = RandomDigits(16, 1);
        var pipeline = new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.5, BiasCorrection: false));
        var state = TrainState.Init(Model(2), NoState.Value, pipeline, 3);
        for (var i = 0; i < 3; i++) state = TrainingSteps.Step(Loss, pipeline, state, batch).State;

        var evaluated = TrainingSteps.EvaluationParameters(state);
        var average = ParameterEma.Average(state.OptimizerState, state.Parameters);

        Assert.All(Tree.Leaves(evaluated).Zip(Tree.Leaves(average)), pair => Assert.True(SameBytes(pair.Item1, pair.Item2)));
        Assert.False(SameBytes(Tree.Leaves(evaluated)[0], Tree.Leaves(state.Parameters)[0]));
    }

    [Fact]
    public void Evaluation_averages_loss_and_metrics_over_batches_without_dropout()
    {
        using var data = RandomDigits(20, 1);
        var model = Model(2, dropout: 0.9);
        DigitBatch Part(int from) => DigitBatch.Gather(data.Pixels, data.Digits, Enumerable.Range(from, 10).ToArray());

        var whole = TrainingSteps.Evaluate(Loss, model, NoState.Value, [Part(0), Part(10)]);
        var first = TrainingSteps.Evaluate(Loss, model, NoState.Value, [Part(0)]);
        var second = TrainingSteps.Evaluate(Loss, model, NoState.Value, [Part(10)]);
        var again = TrainingSteps.Evaluate(Loss, model, NoState.Value, [Part(0)]);

        Assert.Equal((first["loss"] + second["loss"]) / 2, whole["loss"], 12);
        Assert.Equal(first["loss"], again["loss"]);
    }
}
