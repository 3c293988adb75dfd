using Functional.Core;
using Functional.Optimizers;
using Functional.PropertyTests.Training;
using TorchSharp;
using Xunit;
using Functional.Models.Digits;
using Functional.Reporting;
using Functional.Training;

namespace Functional.PropertyTests.Readme;

/// <summary>The training guide, docs/articles/training.md, line for line (on small random digits and a temporary folder).</summary>
public sealed class ReadmeTrainingTests
{
    // The loss lives inside the model; metrics come from its intermediates.
    static ModelOutput Model(DigitClassifier m, DigitBatch batch, StepContext context)
    {
        var logits = DigitClassifier.Logits(m, batch.Pixels, context.Training, context.Generator);
        context.Capture.Record("logits", logits);
        var accuracy = logits.argmax(1).eq(batch.Digits).to(torch.float32).mean();
        return new ModelOutput(torch.nn.functional.cross_entropy(logits, batch.Digits), new Dictionary<string, torch.Tensor> { ["accuracy"] = accuracy });
    }

    [Fact]
    public void The_training_tour_steps_fits_and_resumes()
    {
        using var train = TrainingFixtures.RandomDigits(96, 1);
        using var validation = TrainingFixtures.RandomDigits(32, 2);
        var folder = TrainingFixtures.TemporaryFolder();
        using var generator = new torch.Generator(1);
        var model = DigitClassifier.Init(generator, hidden: 32, dropoutRate: 0.2, torch.CPU);

        var pipeline = new Chain(Optimizer.Adam(new WarmupCosine(2e-3, 10, 100, 1e-4), ScaleByAdam.Default), new ParameterEma(0.99, BiasCorrection: true));
        var state = TrainState.Init(model, NoState.Value, pipeline, seed: 1);
        using (var batch = DigitBatch.Gather(train.Pixels, train.Digits, [0, 1, 2, 3]))
        {
            var (next, metrics) = TrainingSteps.Step(Model, pipeline, state, batch);   // pure: (state, batch) -> (state, metrics)
            Assert.Equal(["accuracy", "loss"], metrics.Keys.Order());
            Assert.Equal(1, next.Step);
        }

        var store = new CheckpointStore(Path.Combine(folder, "checkpoints"), keepLast: 3);
        using var progress = new ProgressObserver(TextWriter.Null, interactive: false);
        var options = new FitOptions
        {
            Epochs = 4, EarlyStopping = EarlyStopping.Default,
            Observers = [new MetricsLogObserver(Path.Combine(folder, "metrics.jsonl")), progress,
                         new LossChartObserver(Path.Combine(folder, "loss.png")), new CheckpointObserver(store)],
        };
        var result = Fit.Run(Model, pipeline, state, MnistTraining.Data(train, 16, seed: 1, workers: 2),
            MnistTraining.Validation(validation), options, CancellationToken.None);
        Assert.Equal(4 * 6, result.State.Step);

        var resumed = TrainStateFile.ResumeOrInit(store, model, NoState.Value, pipeline, seed: 1, restart: false).State;   // where a killed run stopped, or a fresh start
        Assert.True(TrainingFixtures.SameState(result.State, resumed));

        using var capture = Capture.Of("logits");
        using var noGradient = torch.no_grad();
        Model(result.State.Parameters, validation, new StepContext(false, generator, capture));
        Assert.Equal([32L, 10], capture["logits"].shape);
    }
}
