using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Checkpoints;

/// <summary>
/// The values of a checkpoint are checked on load, not only its structure: a random state a generator would not take
/// (libtorch would end the process at the first step) and a NaN or an infinity anywhere in the parameters, the optimizer
/// state (the EMA average included) or the model state are refused naming the file and the tree path; a resumed run then
/// falls back to the newest sound checkpoint and never writes the poison into later ones.
/// </summary>
public sealed class CheckpointValueTests
{
    sealed record Stats(torch.Tensor Mean, torch.Tensor Batches);

    static Stats FreshStats() => new(torch.zeros(5), torch.tensor(0L));

    static IGradientTransformation AdamWithEma() => new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.9, BiasCorrection: true));

    /// <summary>A store with a sound checkpoint of step 0 and, as step 1, the same checkpoint doctored by <paramref name="doctor"/> (its checksums recomputed).</summary>
    static CheckpointStore Doctored(Func<List<NamedTensor>, List<NamedTensor>> doctor)
    {
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 10);
        var state = TrainState.Init(Model(2), FreshStats(), AdamWithEma(), 3);
        TrainStateFile.Save(store, state);
        TrainState.Dispose(state);
        var content = store.Load(0);
        store.Save(1, doctor(content.Tensors.ToList()), content.Metadata);
        foreach (var tensor in content.Tensors) tensor.Value.Dispose();
        return store;
    }

    static TrainState<DigitClassifier, Stats> Load(CheckpointStore store, long step) => TrainStateFile.Load(store, step, Model(5), FreshStats(), AdamWithEma());

    static List<NamedTensor> Replace(List<NamedTensor> tensors, string name, torch.Tensor value) =>
        tensors.Select(t => t.Name == name ? t with { Value = value } : t).ToList();

    public static TheoryData<string> WrongRandomStates => ["float32 of the same bytes", "uint8 too short", "uint8 one byte too long", "uint8 of another shape", "an int64 scalar"];

    static torch.Tensor WrongRandom(string kind, torch.Tensor right) => kind switch
    {
        "float32 of the same bytes" => torch.zeros(right.numel() / 4, torch.float32),
        "uint8 too short" => torch.zeros(right.numel() - 16, torch.uint8),
        "uint8 one byte too long" => torch.zeros(right.numel() + 1, torch.uint8),
        "uint8 of another shape" => right.reshape(2, -1).clone(),
        _ => torch.tensor(7L),
    };

    [Theory]
    [MemberData(nameof(WrongRandomStates))]
    public void A_random_state_a_generator_would_not_take_is_refused_naming_the_file(string kind)
    {
        var store = Doctored(tensors => Replace(tensors, "random", WrongRandom(kind, tensors.Single(t => t.Name == "random").Value)));

        var error = Assert.Throws<InvalidDataException>(() => Load(store, 1));

        Assert.Contains($"checkpoint of step 1 ({store.PathOf(1)}) has a random state 'random' of", error.Message);
        Assert.Matches(@"takes Byte\[\d+\]", error.Message);
        TrainState.Dispose(Load(store, 0)); // the sound checkpoint still loads
    }

    [Fact]
    public void A_NaN_or_an_infinity_in_any_floating_point_leaf_is_refused_naming_the_file_and_the_path()
    {
        var random = new Random(31);
        var names = Doctored(tensors => tensors).Load(0).Tensors.Where(t => t.Value.is_floating_point()).Select(t => t.Name).ToArray();
        // Parameters, Adam's moments, the EMA average, its decay, and the model state: every part is tried.
        Assert.Contains(names, name => name.StartsWith("parameters/", StringComparison.Ordinal));
        Assert.Contains(names, name => name.Contains("/average/", StringComparison.Ordinal));
        Assert.Contains(names, name => name.StartsWith("model-state/", StringComparison.Ordinal));
        foreach (var name in names)
            foreach (var poison in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            {
                var at = -1L;
                var store = Doctored(tensors => tensors.Select(t =>
                {
                    if (t.Name != name) return t;
                    var copy = t.Value.clone();
                    at = random.NextInt64(copy.numel());
                    copy.view(-1)[at] = torch.tensor(poison, copy.dtype);
                    return t with { Value = copy };
                }).ToList());

                var error = Assert.Throws<InvalidDataException>(() => Load(store, 1));

                Assert.Contains($"checkpoint of step 1 ({store.PathOf(1)}) holds non-finite values at '{name}'", error.Message);
                Assert.Contains($"1 of ", error.Message);
                Assert.Contains($"(the first at flat index {at}: {(float.IsNaN(poison) ? "NaN" : poison > 0 ? "+Infinity" : "-Infinity")})", error.Message);
            }
    }

    [Fact]
    public void A_resumed_run_passes_over_a_checkpoint_with_a_NaN_in_its_EMA_average_and_writes_none_into_later_checkpoints()
    {
        using var data = RandomDigits(30, 11); // 5 steps an epoch
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 5);
        FitResult<DigitClassifier, NoState> Train(TrainState<DigitClassifier, NoState> from, int epochs) =>
            Fit.Run(Loss, AccumulatedAdamWithEma(), from, MnistTraining.Data(data, batchSize: 7, seed: 5, workers: 1), MnistTraining.Validation(data),
                new FitOptions { Epochs = epochs, Observers = [new CheckpointObserver(store)] }, CancellationToken.None);
        TrainState.Dispose(Train(TrainState.Init(Model(2), NoState.Value, AccumulatedAdamWithEma(), 3), 3).State);
        Assert.Equal([5L, 10, 15], store.Steps());
        var content = store.Load(15);
        var average = content.Tensors.First(t => t.Name.Contains("/average/", StringComparison.Ordinal));
        var poisoned = average.Value.clone();
        poisoned.view(-1)[0] = torch.tensor(float.NaN);
        store.Save(15, content.Tensors.Select(t => t == average ? t with { Value = poisoned } : t), content.Metadata);

        var resumed = TrainStateFile.ResumeOrInit(new CheckpointStore(store.Folder, keepLast: 5), Model(2), NoState.Value, AccumulatedAdamWithEma(), 3, restart: false);

        Assert.Equal(10, resumed.FromStep);
        Assert.Equal([15L], resumed.Skipped);
        Assert.Contains($"Passed over the checkpoint of step 15: The checkpoint of step 15 ({store.PathOf(15)}) holds non-finite values at '{average.Name}'", resumed.Describe());
        Assert.True(File.Exists(store.PathOf(15) + ".damaged"));
        TrainState.Dispose(Train(resumed.State, 4).State);
        Assert.Equal([5L, 10, 15, 20], store.Steps());
        foreach (var step in store.Steps())
        {
            var saved = store.Load(step);
            Assert.Null(FiniteValues.FirstNonFinite(saved.Tensors));
            foreach (var tensor in saved.Tensors) tensor.Value.Dispose();
        }
    }
}
