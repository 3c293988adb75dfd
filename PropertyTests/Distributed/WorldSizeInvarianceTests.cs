using Functional.Core;
using Functional.Distributed;
using Functional.Distributed.TestHost;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.PropertyTests.Training;
using Functional.Training;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>
/// Exact data parallelism (<see cref="ExactDataParallel"/>): 1, 2, 3 and 4 ranks under mpirun write byte-identical
/// checkpoints (parameters, optimizer state, model state, random state), with ragged runs of micro-shards and with
/// several batches per update; one process with <see cref="Accumulate"/> on the micro-shards reaches the same parameters.
/// </summary>
public sealed class WorldSizeInvarianceTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(240);

    // model, micro-shards, batches per update, epochs. 6 micro-shards over 4 ranks are runs of 1, 1, 2, 2; 8 over 3 are 2, 3, 3.
    [MpiTheory]
    [InlineData("tiny", 6, 1, 2)]
    [InlineData("tiny", 6, 2, 2)]
    [InlineData("mlp", 8, 2, 1)]
    [InlineData("conv", 6, 1, 1)]
    public void One_to_four_ranks_write_byte_identical_checkpoints(string model, int microShards, int batchesPerUpdate, int epochs)
    {
        byte[]? first = null;
        string? firstName = null;
        foreach (var ranks in new[] { 1, 2, 3, 4 })
        {
            var (name, bytes) = Checkpoint(Exact(ranks, model, microShards, batchesPerUpdate, epochs));
            output.WriteLine($"{ranks} rank(s): {name}, {bytes.Length} bytes");
            if (first is null) (first, firstName) = (bytes, name);
            else
            {
                Assert.Equal(firstName, name);
                var differing = first.Zip(bytes).Count(p => p.Item1 != p.Item2);
                Assert.True(first.Length == bytes.Length && differing == 0,
                    $"{ranks} ranks wrote a checkpoint that differs from one rank's ({bytes.Length} and {first.Length} bytes, {differing} bytes differ).");
            }
        }
    }

    [MpiFact]
    public void Exact_training_moves_the_parameters_and_one_process_accumulating_the_micro_shards_reaches_the_same_bits()
    {
        var exact = Exact(3, "mlp0", 8, 1, 1);
        var folder = TrainingFixtures.TemporaryFolder();
        var job = MpiJob.Run(1, Timeout, "accumulate", folder, "mlp0", "8", "1", "1", SharedData.Folder("mnist-t10k"));
        Assert.True(job.ExitCode == 0, $"The accumulate reference failed ({job.ExitCode}):\n{job.Output}");

        var template = ExactJob.InitMlp() with { DropoutRate = 0 };
        var distributed = TrainStateFile.LoadLatest(new CheckpointStore(exact, keepLast: 1), template, NoState.Value, ExactJob.Pipeline)!.State;
        var accumulated = TrainStateFile.LoadLatest(new CheckpointStore(folder, keepLast: 1), template, NoState.Value, new Accumulate(ExactJob.Pipeline, 8))!.State;
        Assert.Equal(ExactJob.MnistExamples / ExactJob.MnistBatch, distributed.Step);
        var pairs = Tree.Leaves(distributed.Parameters).Zip(Tree.Leaves(accumulated.Parameters)).ToArray();
        foreach (var (mpi, reference) in pairs) Assert.True(mpi.eq(reference).all().item<bool>(), "3 ranks differ from one process with Accumulate(8) over the micro-shards.");
        var moved = Tree.Leaves(template).Zip(Tree.Leaves(distributed.Parameters)).Max(p => p.Item1.sub(p.Item2).abs().max().item<float>());
        Assert.True(moved > 1e-3f, "Training did not move the parameters.");
    }

    [MpiFact]
    public void The_conv_models_batch_norm_statistics_in_the_compared_checkpoints_are_trained()
    {
        // The statistics the checkpoints compare must be trained, not the initial ones.
        var folder = Exact(2, "conv", 6, 1, 1);
        var template = ExactJob.InitConv();
        var stats = ConvDigitClassifier.InitStats(template);
        var state = TrainStateFile.LoadLatest(new CheckpointStore(folder, keepLast: 1), template, stats, ExactJob.Pipeline)!.State;
        var before = Tree.Leaves(stats).Where(t => t.is_floating_point()).ToArray();
        var after = Tree.Leaves(state.ModelState).Where(t => t.is_floating_point()).ToArray();
        Assert.NotEmpty(after);
        Assert.True(before.Zip(after).All(p => p.Item1.sub(p.Item2).abs().max().item<float>() > 1e-4f), "The batch-norm statistics did not move.");
    }

    static string Exact(int ranks, string model, int microShards, int batchesPerUpdate, int epochs)
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var job = MpiJob.Run(ranks, Timeout, "exact", folder, model, microShards.ToString(System.Globalization.CultureInfo.InvariantCulture),
            batchesPerUpdate.ToString(System.Globalization.CultureInfo.InvariantCulture), epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), SharedData.Folder("mnist-t10k"));
        Assert.True(job.ExitCode == 0, $"The {ranks}-rank exact job ({model}) failed ({job.ExitCode}):\n{job.Output}");
        return folder;
    }

    static (string Name, byte[] Bytes) Checkpoint(string folder)
    {
        var files = Directory.GetFiles(folder, "*.safetensors");
        Assert.True(files.Length == 1, $"Expected one checkpoint in {folder}, found {files.Length}.");
        return (Path.GetFileName(files[0]), File.ReadAllBytes(files[0]));
    }
}
