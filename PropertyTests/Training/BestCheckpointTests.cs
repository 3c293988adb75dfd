using System.Text.Json;
using FsCheck.Xunit;
using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Training;

/// <summary><see cref="BestCheckpoints"/> and <see cref="BestCheckpointObserver"/>: Keras' ModelCheckpoint(save_best_only) keeping the best k.</summary>
public sealed class BestCheckpointTests
{
    sealed record Tiny(torch.Tensor Weight, torch.Tensor Bias);

    static Tiny TinyOf(double value)
    {
        using var positive = value.ToScalar();
        using var negative = (-value).ToScalar();
        return new(torch.full([2, 3], positive, torch.float64), torch.full([3], negative, torch.float64));
    }

    [Property(MaxTest = 60)]
    public void The_folder_keeps_exactly_the_best_k_finite_values_so_far_across_reopenings_and_never_loses_a_better_file(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var folder = TemporaryFolder();
        var keep = random.Next(1, 4);
        var minimize = random.Next(2) == 0;
        var offered = new List<(long Step, double Value)>();
        var best = new BestCheckpoints(folder, "score", minimize, keep);
        var count = random.Next(1, 14);
        for (var step = 1L; step <= count; step++)
        {
            if (random.Next(4) == 0) best = new BestCheckpoints(folder, "score", minimize, keep); // a resumed run: only the disk carries over
            var value = random.Next(8) == 0 ? double.NaN : random.Next(0, 6);
            best.Offer(step, (int)step, value, TinyOf(value), NoState.Value);
            if (double.IsFinite(value)) offered.Add((step, value));

            // The reference: stable sort (older first on ties), best first, the first k.
            var expected = (minimize ? offered.OrderBy(o => o.Value) : offered.OrderByDescending(o => o.Value)).Take(keep).ToArray();
            var kept = best.Kept();
            Assert.Equal(expected.Select(e => e.Step), kept.Select(k => k.Step));
            Assert.Equal(expected.Select(e => e.Value), kept.Select(k => k.Value));
            Assert.Equal(kept.Select(k => k.File).Order(), Directory.EnumerateFiles(folder, "*.safetensors").Select(Path.GetFileName).Order());
            foreach (var checkpoint in kept)
            {
                var loaded = best.LoadParameters(checkpoint, TinyOf(0));
                Assert.True(SameBytes(TinyOf(checkpoint.Value).Weight, loaded.Weight) && SameBytes(TinyOf(checkpoint.Value).Bias, loaded.Bias),
                    $"The file of step {checkpoint.Step} does not hold the parameters offered with {checkpoint.Value}.");
            }
        }
    }

    [Fact]
    public void The_manifest_is_camel_case_names_the_values_and_refuses_another_metric_or_direction()
    {
        var folder = TemporaryFolder();
        var best = new BestCheckpoints(folder, "rougeL", minimize: false, keepBest: 2);
        best.Offer(10, 0, 0.25, TinyOf(1), NoState.Value);
        best.Offer(20, 1, 0.5, TinyOf(2), NoState.Value);

        using var manifest = JsonDocument.Parse(File.ReadAllText(best.ManifestPath));
        Assert.Equal("rougeL", manifest.RootElement.GetProperty("monitor").GetString());
        Assert.Equal([20L, 10L], manifest.RootElement.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("step").GetInt64()));
        Assert.Equal([0.5, 0.25], manifest.RootElement.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("value").GetDouble()));
        var other = Assert.Throws<InvalidDataException>(() => new BestCheckpoints(folder, "loss", minimize: true, keepBest: 2).Kept());
        Assert.Contains(best.ManifestPath, other.Message);
        Assert.Contains("'rougeL'", other.Message);
        var flipped = Assert.Throws<InvalidDataException>(() => new BestCheckpoints(folder, "rougeL", minimize: true, keepBest: 2).Kept());
        Assert.Contains("larger is better", flipped.Message);
    }

    [Fact]
    public void The_observer_keeps_the_best_validated_epochs_of_a_fit_and_a_resumed_fit_goes_on_from_the_disk()
    {
        using var data = RandomDigits(16, 1);
        var folder = TemporaryFolder();
        var scores = new Queue<double>([3, 1, 2, 0.5, 4, 0.7]);
        IReadOnlyDictionary<string, double> Validate(DigitClassifier _, NoState __) => new Dictionary<string, double> { ["loss"] = scores.Dequeue() };
        var pipeline = Optimizer.Adam(1e-2);
        FitResult<DigitClassifier, NoState> Train(TrainState<DigitClassifier, NoState> from, int epochs) =>
            Fit.Run(Loss, pipeline, from, MnistTraining.Data(data, batchSize: 8, seed: 1, workers: 1), Validate,
                new FitOptions { Epochs = epochs, Observers = [new BestCheckpointObserver(new BestCheckpoints(folder, "loss", true, 2))] }, CancellationToken.None);

        var first = Train(TrainState.Init(Model(2), NoState.Value, pipeline, 3), 3).State;     // 3, 1, 2: keeps 1 (step 4) and 2 (step 6)
        var second = Train(first, 6).State;                                     // 0.5, 4, 0.7: keeps 0.5 (step 8) and 0.7 (step 12)
        var kept = new BestCheckpoints(folder, "loss", true, 2).Kept();

        Assert.Equal([8L, 12L], kept.Select(k => k.Step));
        Assert.Equal([0.5, 0.7], kept.Select(k => k.Value));
        Assert.Equal([3, 5], kept.Select(k => k.Epoch));
        var atTwelve = new BestCheckpoints(folder, "loss", true, 2).LoadParameters(kept[1], Model(99));
        Assert.True(Tree.Leaves(second.Parameters).Zip(Tree.Leaves(atTwelve)).All(pair => SameBytes(pair.Item1, pair.Item2)),
            "The kept file of the last step must hold that step's parameters.");
        var missing = Assert.Throws<InvalidOperationException>(() =>
            Fit.Run(Loss, pipeline, TrainState.Init(Model(2), NoState.Value, pipeline, 3), MnistTraining.Data(data, batchSize: 8, seed: 1, workers: 1), MnistTraining.Validation(data),
                new FitOptions { Observers = [new BestCheckpointObserver(new BestCheckpoints(TemporaryFolder(), "rouge", false, 1))] }, CancellationToken.None));
        Assert.Contains("'rouge'", missing.Message);
        Assert.Contains("loss, accuracy", missing.Message);
    }
}
