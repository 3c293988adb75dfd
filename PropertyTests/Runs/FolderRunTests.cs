using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Runs;

/// <summary>
/// <see cref="FolderRun"/> with a model a user writes (not one of the examples): it runs in a folder, a run stopped at
/// any step resumes to the bits of an uninterrupted one, and the best validations by a metric are kept (min or max,
/// the best k) across the interruption, the hook for the best model seeing what was kept.
/// </summary>
public sealed class FolderRunTests
{
    /// <summary>A user's model: softmax regression over 6 features into 3 classes.</summary>
    sealed record Softmax(torch.Tensor Weight, torch.Tensor Bias);

    /// <summary>A user's batch: features and class labels.</summary>
    sealed record Examples(torch.Tensor Features, torch.Tensor Labels) : IDisposable
    {
        public void Dispose()
        {
            Features.Dispose();
            Labels.Dispose();
        }
    }

    const int Features = 6, Classes = 3, Count = 40, ValidationCount = 16;

    static Softmax Init(ulong seed)
    {
        using var generator = new torch.Generator(seed);
        using var scale = 0.1.ToScalar();
        return new Softmax(torch.randn([Features, Classes], generator: generator).mul(scale), torch.zeros([Classes]));
    }

    static readonly ModelLoss<Softmax, NoState, Examples> Loss = (model, batch, _) =>
    {
        using var scope = torch.NewDisposeScope();
        var logits = batch.Features.matmul(model.Weight).add(model.Bias, Scalars.One);
        var loss = torch.nn.functional.cross_entropy(logits, batch.Labels);
        var accuracy = logits.argmax(1).eq(batch.Labels).to(torch.float32).mean();
        return new ModelOutput(loss.MoveToOuterDisposeScope(), new Dictionary<string, torch.Tensor> { ["accuracy"] = accuracy.MoveToOuterDisposeScope() });
    };

    /// <summary>Labels that depend on the features (a linear rule and noise), so training moves the metrics.</summary>
    static Examples Data(int count, ulong seed)
    {
        using var generator = new torch.Generator(seed);
        var features = torch.randn([count, Features], generator: generator);
        using var rule = torch.randn([Features, Classes], generator: generator);
        using var noise = torch.randn([count, Classes], generator: generator);
        using var scores = features.matmul(rule).add(noise, Scalars.One);
        return new Examples(features, scores.argmax(1));
    }

    static Examples Gather(Examples data, int[] indices)
    {
        using var index = torch.tensor(indices.Select(i => (long)i).ToArray());
        return new Examples(data.Features.index_select(0, index), data.Labels.index_select(0, index));
    }

    static RunData<Examples> Batches(Examples train, int batchSize, int seed) =>
        new(((int)train.Labels.shape[0] + batchSize - 1) / batchSize, epoch => BatchPlan.Shuffled((int)train.Labels.shape[0], batchSize, seed, epoch), indices => Gather(train, indices));

    static Func<Softmax, NoState, IReadOnlyDictionary<string, double>> Validate(Examples validation) =>
        (model, state) => TrainingSteps.Evaluate(Loss, model, state, [Gather(validation, Enumerable.Range(0, ValidationCount).ToArray())]);

    static IGradientTransformation Pipeline() => new Chain(Optimizer.Adam(5e-2), new ParameterEma(0.5, BiasCorrection: true));

    /// <summary>Stops the fit after <paramref name="Step"/>.</summary>
    sealed record CancelAt(long Step, CancellationTokenSource Source) : IFitObserver
    {
        public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step)
        {
            if (step.State.Step == Step) Source.Cancel();
        }
    }

    /// <summary>One invocation of the run in <paramref name="folder"/>; returns its final state and keeps copies of what the best-model hook was given.</summary>
    static FitResult<Softmax, NoState> Train(string folder, BestBy best, int epochs, int batchSize, IReadOnlyList<IFitObserver> observers, List<Softmax> keptModels, CancellationToken cancellation)
    {
        using var train = Data(Count, 5);
        using var validation = Data(ValidationCount, 6);
        var fresh = Init(3);
        using var run = FolderRun.Open(new RunOptions(folder) { Best = best, KeepCheckpoints = 2, CheckpointEverySteps = 3 }, SingleProcess.Instance);
        try
        {
            return run.Fit(new RunPlan<Softmax, NoState, Examples>(fresh, NoState.Value, Pipeline(), Loss, Batches(train, batchSize, 7), Seed: 11)
            {
                Validate = Validate(validation),
                Fit = new FitOptions { Epochs = epochs, Observers = observers },
                KeepBestModel = (model, _) => keptModels.Add(Tree.Map(model, t => t.clone())),
            }, cancellation);
        }
        finally
        {
            Tree.Dispose(fresh);
        }
    }

    [Property(MaxTest = 12)]
    public void A_user_model_stopped_at_any_step_resumes_to_the_bits_of_an_uninterrupted_run_and_keeps_the_best_k_by_its_metric(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var best = random.Next(2) == 0 ? new BestBy("loss", Minimize: true, random.Next(1, 4)) : new BestBy("accuracy", Minimize: false, random.Next(1, 4));
        var batchSize = random.Next(6, 15);
        var epochs = random.Next(2, 5);
        var (whole, parts) = (TemporaryFolder(), TemporaryFolder());
        var wholeKept = new List<Softmax>();
        var uninterrupted = Train(whole, best, epochs, batchSize, [], wholeKept, CancellationToken.None);
        var total = uninterrupted.State.Step;
        var stopAt = random.Next(1, (int)total);

        var partsKept = new List<Softmax>();
        using var stop = new CancellationTokenSource();
        var stopped = Train(parts, best, epochs, batchSize, [new CancelAt(stopAt, stop)], partsKept, stop.Token);
        Assert.Equal(FitEnd.Cancelled, stopped.End);
        Assert.Equal(stopAt, stopped.State.Step);
        var resumed = Train(parts, best, epochs, batchSize, [], partsKept, CancellationToken.None);

        Assert.True(SameState(uninterrupted.State, resumed.State), $"stopped at step {stopAt} of {total} (batch {batchSize}, {epochs} epochs): the resumed state differs from the uninterrupted one.");
        // The best k: the top k of the run's validations, in the order of BestCheckpoints (best first, older first on ties).
        // The interrupted run also validated where it stopped, so its validations are those of both invocations.
        // A step validated twice (stopped at an epoch's end, validated again on resuming) is offered again, replacing its entry.
        (long Step, double Value)[] TopK(IEnumerable<EpochReport> history)
        {
            var validations = history.Select(r => (r.Step, Value: r.Validation[best.Monitor])).Reverse().DistinctBy(v => v.Step).Reverse();
            return (best.Minimize ? validations.OrderBy(v => v.Value) : validations.OrderByDescending(v => v.Value)).Take(best.KeepBest).ToArray();
        }
        var wholeBest = new BestCheckpoints(Path.Combine(whole, "best"), best.Monitor, best.Minimize, best.KeepBest);
        var partsBest = new BestCheckpoints(Path.Combine(parts, "best"), best.Monitor, best.Minimize, best.KeepBest);
        Assert.Equal(TopK(uninterrupted.History), wholeBest.Kept().Select(k => (k.Step, k.Value)));
        Assert.Equal(TopK([.. stopped.History, .. resumed.History]), partsBest.Kept().Select(k => (k.Step, k.Value)));
        // A validation of the same step kept by both runs kept the same bytes.
        foreach (var kept in partsBest.Kept())
            if (wholeBest.Kept().FirstOrDefault(k => k.Step == kept.Step) is { } same)
                Assert.True(same.Sha256 == kept.Sha256, $"The best checkpoint of step {kept.Step} differs between the interrupted and the uninterrupted run.");
        // The hook saw each new best, the last one being the kept best's validated (EMA) parameters.
        Assert.NotEmpty(partsKept);
        var top = partsBest.LoadParameters(partsBest.Kept()[0], Init(0));
        Assert.True(SameBytes(top.Weight, partsKept[^1].Weight) && SameBytes(top.Bias, partsKept[^1].Bias), "The best-model hook's last parameters are not the kept best's.");
        // Each step logged once although the run was interrupted.
        Assert.Equal(Enumerable.Range(1, (int)total).Select(s => (long)s), MetricsLog.Read(Path.Combine(parts, "metrics.jsonl")).Where(r => r.Phase == "train").Select(r => r.Step));
        TrainState.Dispose(uninterrupted.State);
        TrainState.Dispose(stopped.State);
        TrainState.Dispose(resumed.State);
    }

    [Fact]
    public void A_second_run_into_a_held_folder_is_refused_and_a_restart_empties_the_best_folder()
    {
        using var scope = torch.NewDisposeScope();
        var folder = TemporaryFolder();
        var best = new BestBy("loss", Minimize: true);
        TrainState.Dispose(Train(folder, best, 1, 10, [], [], CancellationToken.None).State);
        Assert.NotEmpty(new BestCheckpoints(Path.Combine(folder, "best"), "loss", true, 1).Kept());

        using (FolderRun.Open(new RunOptions(folder), SingleProcess.Instance))
            Assert.Throws<RunFolderInUseException>(() => FolderRun.Open(new RunOptions(folder), SingleProcess.Instance));

        using (FolderRun.Open(new RunOptions(folder) { Restart = true, Best = best }, SingleProcess.Instance))
            Assert.Empty(new BestCheckpoints(Path.Combine(folder, "best"), "loss", true, 1).Kept());
    }

    [Fact]
    public void A_checkpoint_beyond_an_epoch_of_the_data_is_refused_naming_the_folder_and_nothing_is_changed()
    {
        using var scope = torch.NewDisposeScope();
        var folder = TemporaryFolder();
        var best = new BestBy("loss", Minimize: true);
        using var stop = new CancellationTokenSource();
        // Batches of 6: 7 a epoch; stopped at batch 5 of the first epoch.
        TrainState.Dispose(Train(folder, best, 2, 6, [new CancelAt(5, stop)], [], stop.Token).State);
        var before = Directory.GetFiles(Path.Combine(folder, "checkpoints")).Order().ToArray();

        // Batches of 20: 2 an epoch, so batch 5 cannot be.
        var error = Assert.Throws<InvalidDataException>(() => Train(folder, best, 2, 20, [], [], CancellationToken.None));

        Assert.Contains($"The checkpoint of step 5 in {Path.Combine(folder, "checkpoints")} is at batch 5 of epoch 1, but the data gives 2 batches an epoch", error.Message);
        Assert.Equal(before, Directory.GetFiles(Path.Combine(folder, "checkpoints")).Order().ToArray());
    }

    [Fact]
    public void One_process_shares_every_batch_whole_and_a_folder_trained_by_two_processes_is_refused_naming_the_count()
    {
        var batches = new[] { new[] { 3, 1 }, new[] { 2 } };
        Assert.Same(batches, SingleProcess.Instance.Share(batches));
        var folder = TemporaryFolder();
        var checkpoints = Path.Combine(folder, "checkpoints");
        Directory.CreateDirectory(checkpoints);
        File.WriteAllText(Path.Combine(checkpoints, "step-0000000004.safetensors"), "");
        File.WriteAllText(Path.Combine(checkpoints, "step-0000000004.json"), "{}");
        File.WriteAllText(Path.Combine(checkpoints, RankCountRecord.FileName), "2\n");

        var error = Assert.Throws<InvalidOperationException>(() => FolderRun.Open(new RunOptions(folder), SingleProcess.Instance));

        Assert.Contains("was trained with 2 processes and cannot resume with 1", error.Message);
        // The failed open released the folder's lock: a second open fails the same way, not on the lock.
        Assert.IsType<InvalidOperationException>(Record.Exception(() => FolderRun.Open(new RunOptions(folder), SingleProcess.Instance)));
    }
}
