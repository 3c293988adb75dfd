using FsCheck.Xunit;
using Functional.Core;
using Functional.Facade;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using Optimizer = Functional.Facade.Optimizer;
using Functional.Reporting;
using Functional.Training;

namespace Functional.PropertyTests.Facade;

/// <summary>The trainer builder against the core: its options and optimizer are the hand-built ones, its fit is Fit.Run's, its errors come all at once.</summary>
public sealed class TrainerBuilderTests
{
    /// <summary>A regression batch: inputs and targets.</summary>
    public sealed record Batch(torch.Tensor X, torch.Tensor Y);

    static Trainable<StackParams, NoState, Batch> Regression(ulong seed) =>
        Sequential.Input(3).Linear(16).Tanh().Dropout(0.1).Linear(1).Build(new torch.Generator(seed), torch.CPU)
            .WithLoss<Batch>(batch => batch.X, (output, batch) => ModelOutput.Of((output - batch.Y).pow(Scalars.Two).mean()));

    static Batch[] Batches(ulong seed, int count)
    {
        var generator = new torch.Generator(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = torch.randn([16, 3], generator: generator);
            return new Batch(x, x.sum(1, keepdim: true).sin());
        }).ToArray();
    }

    static void AssertSameOptions(FitOptions expected, FitOptions actual)
    {
        Assert.Equal(expected with { Observers = [] }, actual with { Observers = [] });
        Assert.Equal(expected.Observers.Select(Describe), actual.Observers.Select(Describe));
    }

    /// <summary>An observer as a comparable value: a checkpoint observer by its folder and interval (its store is a fresh object), any other as itself.</summary>
    static object Describe(IFitObserver observer) =>
        observer is CheckpointObserver checkpoints ? (checkpoints.Store.Folder, checkpoints.EverySteps) : observer;

    [Property(MaxTest = 100)]
    public void Every_trainer_expression_gives_the_hand_built_fit_options(int seed)
    {
        var random = new Random(seed);
        var model = new Trainable<StackParams, NoState, Batch>(new StackParams([]), NoState.Value, (_, _, _) => throw new InvalidOperationException());
        var trainer = Trainer.For(model).With(Optimizer.Sgd(0.1));
        var expected = FitOptions.Default;
        var progress = new ProgressObserver(new StringWriter(), interactive: false);
        var folder = Path.Combine(Path.GetTempPath(), $"facade-options-{seed}");
        Func<EpochReport, FitDecision> callback = _ => FitDecision.Continue;
        IFitObserver? log = null, checkpoints = null;
        var watchers = new List<IFitObserver>();
        for (var i = random.Next(7); i > 0; i--)
        {
            switch (random.Next(6))
            {
                case 0:
                    trainer = trainer.Observe(progress);
                    watchers.Add(progress);
                    break;
                case 1:
                    trainer = trainer.Checkpoints(folder);
                    checkpoints = new CheckpointObserver(new CheckpointStore(folder, 3));
                    break;
                case 2:
                    trainer = trainer.Log("runs/log.jsonl");
                    log = new MetricsLogObserver("runs/log.jsonl");
                    break;
                case 3:
                    var patience = 1 + random.Next(4);
                    trainer = trainer.EarlyStopping(patience);
                    expected = expected with { EarlyStopping = new EarlyStopping("loss", true, patience, 0) };
                    break;
                case 4:
                    trainer = trainer.TimeLimit(TimeSpan.FromSeconds(seed & 0xff));
                    expected = expected with { TimeLimit = TimeSpan.FromSeconds(seed & 0xff) };
                    break;
                default:
                    trainer = trainer.Callback(callback);
                    watchers.Add(new EpochCallback(callback));
                    break;
            }
        }
        var epochs = 1 + random.Next(5);
        IFitObserver[] observers = [.. log is null ? [] : new[] { log }, .. watchers, .. checkpoints is null ? [] : new[] { checkpoints }];
        AssertSameOptions(expected with { Epochs = epochs, Observers = observers }, trainer.Options(epochs));
        Assert.Equal(Functional.Optimizers.Optimizer.Sgd(0.1), trainer.Optimizer());
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void The_fit_is_fit_run_with_the_same_options_and_the_loss_drops()
    {
        using var scope = torch.NewDisposeScope();
        var model = Regression(1);
        var batches = Batches(2, 8);
        var folder = Path.Combine(Path.GetTempPath(), $"facade-fit-{Guid.NewGuid():N}");
        var output = new StringWriter();
        try
        {
            var pipeline = Optimizer.Adam(0.03).ClipByGlobalNorm(1).WithEma(0.9);
            using var progress = new ProgressObserver(output, interactive: false);
            var trainer = Trainer.For(model).With(pipeline).Seed(5).Observe(progress).Checkpoints(folder)
                .ValidateOn(() => batches.Take(2));
            var fitted = trainer.Fit(batches, epochs: 6);

            // By hand with the core.
            var core = pipeline.Build(model.Parameters);
            using var coreProgress = new ProgressObserver(new StringWriter(), interactive: false);
            var options = new FitOptions { Epochs = 6, Observers = [coreProgress, new CheckpointObserver(new CheckpointStore(folder + "-core", 3))] };
            var byHand = Fit.Run(model.Loss, core, TrainState.Init(model.Parameters, NoState.Value, core, 5),
                new TrainingData<Batch>(batches.Length, position => batches.Skip(position.Batch)),
                (parameters, _) => TrainingSteps.Evaluate(model.Loss, parameters, NoState.Value, batches.Take(2)), options, CancellationToken.None);

            Assert.All(Tree.Leaves(byHand.State.Parameters).Zip(Tree.Leaves(fitted.State.Parameters)), pair => Assert.True(Same.Bitwise(pair.Item1, pair.Item2)));
            Assert.Equal(6, fitted.History.Count);
            Assert.True(fitted.History[^1].Train["loss"] < fitted.History[0].Train["loss"] / 2,
                $"loss {fitted.History[0].Train["loss"]} -> {fitted.History[^1].Train["loss"]}");
            Assert.Contains("Epoch 6/6", output.ToString());
            Assert.Equal(new[] { 32L, 40L, 48L }, new CheckpointStore(folder, 3).Steps().ToArray());   // an epoch is 8 steps; the newest 3 are kept
        }
        finally
        {
            foreach (var path in new[] { folder, folder + "-core" })
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }

    [Fact]
    public void The_trainer_reports_the_core_checks_of_fit_options_early_stopping_and_checkpoints()
    {
        // A negative time limit is FitOptions' error: reported with the others, not thrown by Options.
        var error = Assert.Throws<ConfigurationException>(() =>
            Trainer.For(Regression(3)).With(Optimizer.Sgd(0.1)).TimeLimit(TimeSpan.FromSeconds(-1)).EarlyStopping("loss", true, 1, double.PositiveInfinity).Options(1));
        Assert.Equal(new[]
        {
            "TimeLimit.limit = -00:00:01: must not be negative",
            "EarlyStopping.minDelta = Infinity: must be a finite number >= 0",
        }, error.Errors.Select(e => e.ToString()).ToArray());
        // The same values make the core constructors throw the same problems.
        Assert.Contains("must not be negative", Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { TimeLimit = TimeSpan.FromSeconds(-1) }).Message);
        Assert.Equal("MinDelta", Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping("loss", true, 1, double.PositiveInfinity)).ParamName);
        Assert.Equal("folder", Assert.Throws<ArgumentException>(() => new CheckpointStore(" ", 1)).ParamName);
        Assert.Equal(EarlyStopping.Validate("", 0, -1).Select(p => p.Text), new[] { "name the metric to monitor", "must be at least 1", "must be a finite number >= 0" });
    }

    [Fact]
    public void Every_configuration_error_of_a_trainer_comes_at_once()
    {
        var model = Regression(3);
        var error = Assert.Throws<ConfigurationException>(() =>
            Trainer.For(model).Checkpoints("", 0).EarlyStopping("", true, 0, -1).Fit(Batches(4, 1), epochs: 0));
        Assert.Equal(new[]
        {
            "Fit.epochs = 0: must be at least 1",
            "With = null: no optimizer: call With(...)",
            "Checkpoints.folder = '': the folder must not be empty",
            "Checkpoints.keepLast = 0: must be at least 1",
            "EarlyStopping.monitor = '': name the metric to monitor",
            "EarlyStopping.patience = 0: must be at least 1",
            "EarlyStopping.minDelta = -1: must be a finite number >= 0",
        }, error.Errors.Select(e => e.ToString()).ToArray());

        // The optimizer is checked against the model's tree when the trainer is given it.
        var unknown = Assert.Throws<ConfigurationException>(() =>
            Trainer.For(model).With(Optimizer.Adam(-1).Freeze("encoder/**").ScaleLearningRate("layers/0/*", 0.1).Freeze("**/bias")).Options(1));
        Assert.Equal(new[]
        {
            "Adam.learningRate = -1",
            "Freeze('encoder/**') = 'encoder/**'",
            "ScaleLearningRate('layers/0/*') and Freeze('**/bias') = ['layers/0/bias']",
        }, unknown.Errors.Select(e => Pipeline.Key(e.Setting, e.Value)).ToArray());
    }

    [Fact]
    public void A_resumed_fit_ends_where_an_uninterrupted_one_does()
    {
        using var scope = torch.NewDisposeScope();
        var model = Regression(6);
        var batches = Batches(7, 4);
        var folder = Path.Combine(Path.GetTempPath(), $"facade-resume-{Guid.NewGuid():N}");
        try
        {
            var trainer = Trainer.For(model).With(Optimizer.Adam(0.01).AccumulateEvery(3).WithEma(0.9)).Seed(9);
            var uninterrupted = trainer.Fit(batches, epochs: 4);
            var resuming = trainer.Checkpoints(folder).Resume();
            var firstHalf = resuming.Fit(batches, epochs: 2);
            var resumed = resuming.Fit(batches, epochs: 4);

            Assert.Equal(2, firstHalf.History.Count);
            Assert.Equal(2, resumed.History.Count);   // epochs 3 and 4 only
            Assert.Equal(uninterrupted.State.Step, resumed.State.Step);
            Assert.All(Tree.Leaves(uninterrupted.State.Parameters).Zip(Tree.Leaves(resumed.State.Parameters)), pair => Assert.True(Same.Bitwise(pair.Item1, pair.Item2)));
            Assert.Equal("Resume = null: there is nothing to resume from: call Checkpoints(folder) too",
                Assert.Throws<ConfigurationException>(() => trainer.Resume().Fit(batches, 1)).Errors.Single().ToString());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
