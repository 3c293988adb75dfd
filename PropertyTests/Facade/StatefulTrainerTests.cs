using Functional.Core;
using Functional.Facade;
using Functional.Training;
using TorchSharp;
using Xunit;
using Optimizer = Functional.Facade.Optimizer;

namespace Functional.PropertyTests.Facade;

/// <summary>
/// The trainer builder carries model state: a batch-norm model trained through <see cref="Trainer.For{TParams, TModelState, TBatch}(TParams, TModelState, ModelLoss{TParams, TModelState, TBatch})"/>
/// threads its running statistics, validates with them and resumes them, exactly as <see cref="Fit.Run{TParams, TModelState, TBatch}"/> does by hand.
/// </summary>
public sealed class StatefulTrainerTests
{
    /// <summary>A regression batch: inputs [n, 4] and targets [n, 1].</summary>
    public sealed record Batch(torch.Tensor X, torch.Tensor Y);

    /// <summary>A batch-normalised linear regressor.</summary>
    public sealed record Regressor(BatchNormParams Norm, LinearParams Output);

    /// <summary>Its model state: the normalisation's running statistics.</summary>
    public sealed record Stats(BatchNormStats Norm);

    static readonly ModelLoss<Regressor, Stats, Batch> Loss = (model, batch, context) =>
    {
        var normalised = BatchNorm.Apply(model.Norm, context.State.Norm, batch.X, context.Training);
        using var prediction = Linear.Apply(model.Output, normalised.Output);
        using var error = prediction.sub(batch.Y);
        var loss = error.pow(Scalars.Two).mean();
        return new ModelOutput<Stats>(loss, new Dictionary<string, torch.Tensor>()) { NextState = new Stats(normalised.Stats) };
    };

    static Regressor Init(ulong seed) => new(BatchNorm.Init(4, torch.CPU), Linear.Init(new torch.Generator(seed), 4, 1, torch.CPU));

    static Stats InitialStats() => new Stats(BatchNorm.InitStats(4, torch.CPU));

    /// <summary>Inputs far from N(0, 1) (mean 3, deviation 2), so the running statistics must move to fit them.</summary>
    static Batch[] Batches(ulong seed, int count)
    {
        var generator = new torch.Generator(seed);
        using var three = 3.0.ToScalar();
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = torch.randn([16, 4], generator: generator).mul(Scalars.Two).add(three, Scalars.One);
            return new Batch(x, x.sum(1, keepdim: true).sin());
        }).ToArray();
    }

    static void AssertBitwise<T>(T expected, T actual) where T : notnull =>
        Assert.All(Tree.Flatten(expected).Zip(Tree.Flatten(actual)), pair =>
        {
            Assert.Equal(pair.Item1.Path, pair.Item2.Path);
            Assert.True(Same.Bitwise(pair.Item1.Value, pair.Item2.Value), $"'{pair.Item1.Path}' differs");
        });

    [Fact]
    public void A_batch_norm_model_trained_through_the_trainer_equals_fit_run_with_its_state()
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Init(1);
        var initial = InitialStats();
        var batches = Batches(2, 5);
        var pipeline = Optimizer.Adam(0.02).ClipByGlobalNorm(1);

        var fitted = Trainer.For(parameters, initial, Loss).With(pipeline).Seed(4).ValidateOn(() => batches.Take(2)).Fit(batches, epochs: 3);

        var core = pipeline.Build(parameters);
        var byHand = Fit.Run(Loss, core, TrainState.Init(parameters, initial, core, 4),
            new TrainingData<Batch>(batches.Length, position => batches.Skip(position.Batch)),
            (trained, state) => TrainingSteps.Evaluate(Loss, trained, state, batches.Take(2)), new FitOptions { Epochs = 3 }, CancellationToken.None);

        // The statistics moved: 15 training batches were tracked and the running mean left its initial zeros toward 3.
        var stats = fitted.State.ModelState.Norm;
        Assert.Equal(15L, stats.BatchesTracked.item<long>());
        Assert.True(stats.RunningMean.min().item<float>() > 1, $"running mean {string.Join(", ", stats.RunningMean.data<float>().ToArray())}");
        Assert.True(Same.Bitwise(initial.Norm.RunningMean, torch.zeros(4)), "the caller's initial statistics were changed");

        // And everything equals the same training through the core, bit for bit: parameters, statistics, validation.
        AssertBitwise(byHand.State.Parameters, fitted.State.Parameters);
        AssertBitwise(byHand.State.ModelState, fitted.State.ModelState);
        Assert.Equal(byHand.History.Select(epoch => epoch.Validation["loss"]), fitted.History.Select(epoch => epoch.Validation["loss"]));
    }

    [Fact]
    public void A_resumed_fit_of_a_batch_norm_model_ends_where_an_uninterrupted_one_does()
    {
        using var scope = torch.NewDisposeScope();
        var batches = Batches(7, 4);
        var folder = Path.Combine(Path.GetTempPath(), $"facade-state-resume-{Guid.NewGuid():N}");
        try
        {
            var trainer = Trainer.For(new Trainable<Regressor, Stats, Batch>(Init(6), InitialStats(), Loss))
                .With(Optimizer.Adam(0.01).AccumulateEvery(3)).Seed(9);
            var uninterrupted = trainer.Fit(batches, epochs: 4);
            var resuming = trainer.Checkpoints(folder).Resume();
            resuming.Fit(batches, epochs: 2);
            var resumed = resuming.Fit(batches, epochs: 4);

            Assert.Equal(2, resumed.History.Count);   // epochs 3 and 4 only
            Assert.Equal(16L, resumed.State.ModelState.Norm.BatchesTracked.item<long>());
            AssertBitwise(uninterrupted.State.Parameters, resumed.State.Parameters);
            AssertBitwise(uninterrupted.State.ModelState, resumed.State.ModelState);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_trainable_refuses_a_null_state()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new Trainable<Regressor, Stats, Batch>(Init(1), null!, Loss));
        Assert.Contains("NoState.Value", error.Message);
    }
}
