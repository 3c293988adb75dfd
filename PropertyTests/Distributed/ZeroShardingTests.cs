using System.Globalization;
using FsCheck.Xunit;
using Functional.Core;
using Functional.Distributed;
using Functional.Optimizers;
using Functional.PropertyTests.Training;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>
/// ZeRO stage 1 on the exact data-parallel path (<see cref="ZeroShards"/>): the sharded run writes the unsharded run's
/// checkpoint byte for byte (Adam after global-norm clipping, the MNIST perceptron with dropout and the convolutional
/// classifier with batch norm), at 1 to 4 ranks, and resumes with another rank count; the partition is balanced and
/// fixed; the shards together hold exactly the whole state.
/// </summary>
public sealed class ZeroShardingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(240);

    // The conv model at the ragged rank counts only (3 and 4 ranks over its leaves), to keep the suite short.
    [MpiTheory]
    [InlineData("mlp", 8, new[] { 1, 2, 3, 4 })]
    [InlineData("conv", 6, new[] { 3, 4 })]
    public void Sharded_runs_write_the_unsharded_runs_checkpoint_byte_for_byte(string model, int microShards, int[] rankCounts)
    {
        var reference = Checkpoint(Job(1, "unsharded", null, model, microShards, 1));
        foreach (var ranks in rankCounts)
        {
            var sharded = Checkpoint(Job(ranks, "zero", null, model, microShards, 1));
            output.WriteLine($"{ranks} rank(s), sharded: {sharded.Name}, {sharded.Bytes.Length} bytes");
            AssertSame(reference, sharded, $"{ranks} sharded ranks ({model})");
        }
    }

    [MpiFact]
    public void A_sharded_run_resumes_with_another_rank_count_and_reaches_the_uninterrupted_runs_bytes()
    {
        var reference = Checkpoint(Job(1, "unsharded", null, "mlp", 8, 2));
        var folder = Job(2, "zero", null, "mlp", 8, 1);
        Job(3, "zero", folder, "mlp", 8, 2);
        AssertSame(reference, Checkpoint(folder), "2 sharded ranks for one epoch, then 3 for the second");
    }

    [Property(MaxTest = 300)]
    public void The_partition_gives_every_leaf_one_owner_is_fixed_and_balanced_within_the_largest_leaf(int seed)
    {
        var random = new Random(seed);
        var ranks = random.Next(1, 6);
        using var scope = torch.NewDisposeScope();
        var leaves = Enumerable.Range(0, random.Next(0, 12))
            .Select(i => new TreeLeaf($"layer{i}/weight", torch.zeros(random.Next(0, 50), random.Next(1, 9)))).ToArray();
        var partition = ZeroPartition.Balanced(leaves, ranks);
        Assert.Equal(partition.Owners, ZeroPartition.Balanced(leaves, ranks).Owners);
        Assert.All(partition.Owners, owner => Assert.InRange(owner, 0, ranks - 1));
        var loads = Enumerable.Range(0, ranks).Select(r => leaves.Where((_, i) => partition.Owners[i] == r).Sum(l => l.Value.numel() * 4)).ToArray();
        var largest = leaves.Length == 0 ? 0 : leaves.Max(l => l.Value.numel() * 4);
        Assert.True(loads.Max() - loads.Min() <= largest, $"Loads [{string.Join(", ", loads)}] differ by more than the largest leaf ({largest} bytes).");
    }

    [Property(MaxTest = 100)]
    public void The_ranks_shards_together_hold_exactly_the_bytes_of_the_whole_state(int seed)
    {
        var random = new Random(seed);
        using var scope = torch.NewDisposeScope();
        var parameters = Enumerable.Range(0, random.Next(1, 8)).Select(_ => torch.zeros(random.Next(1, 20), random.Next(1, 5))).ToArray();
        IGradientTransformation pipeline = random.Next(3) switch
        {
            0 => Functional.Distributed.TestHost.ExactJob.ClippedPipeline,
            1 => Optimizer.Adam(0.01),
            _ => new Chain(new ClipByGlobalNorm(1), new Trace(0.9, false), new ScaleByLearningRate(new Constant(0.1))),
        };
        var whole = ZeroShards.StateBytes(pipeline, parameters, 0, 1);
        // The 0-d leaves (step counters, the injected learning rate) are not sharded: every rank holds its own copy.
        var replicated = OptimizerStates.Tensors(Optimizer.Init(pipeline, parameters)).Where(t => t.Dimensions == 0).Sum(t => t.ElementSize);
        Assert.True(replicated > 0);
        foreach (var ranks in new[] { 2, 3, 4 })
            Assert.Equal(whole + (ranks - 1) * replicated, Enumerable.Range(0, ranks).Sum(rank => ZeroShards.StateBytes(pipeline, parameters, rank, ranks)));
        Assert.True(whole > 0);
    }

    [Fact]
    public void Pipelines_that_cannot_be_sharded_exactly_are_refused_by_stage_and_reason()
    {
        var fused = Assert.Throws<ArgumentException>(() => ZeroShards.CheckShardable(new Chain(new ClipByGlobalNorm(1), Optimizer.FusedAdam(0.001))));
        Assert.Contains("Stage 1 of the pipeline is a FusedAdam", fused.Message, StringComparison.Ordinal);
        var skip = Assert.Throws<ArgumentException>(() => ZeroShards.CheckShardable(new SkipNonFinite(Optimizer.Adam(0.001), 3)));
        Assert.Contains("SkipNonFinite", skip.Message, StringComparison.Ordinal);
        ZeroShards.CheckShardable(new Masked(new Chain(new ClipByGlobalNorm(1), Optimizer.Adam(0.001)), path => path.EndsWith("weight", StringComparison.Ordinal)));
    }

    static string Job(int ranks, string kind, string? folder, string model, int microShards, int epochs)
    {
        folder ??= TrainingFixtures.TemporaryFolder();
        var job = MpiJob.Run(ranks, Timeout, kind, folder, model, microShards.ToString(CultureInfo.InvariantCulture), "1",
            epochs.ToString(CultureInfo.InvariantCulture), SharedData.Folder("mnist-t10k"));
        Assert.True(job.ExitCode == 0, $"The {ranks}-rank {kind} job ({model}) failed ({job.ExitCode}):\n{job.Output}");
        return folder;
    }

    static (string Name, byte[] Bytes) Checkpoint(string folder)
    {
        var files = Directory.GetFiles(folder, "*.safetensors");
        Assert.True(files.Length == 1, $"Expected one checkpoint in {folder}, found {files.Length}.");
        return (Path.GetFileName(files[0]), File.ReadAllBytes(files[0]));
    }

    static void AssertSame((string Name, byte[] Bytes) expected, (string Name, byte[] Bytes) actual, string what)
    {
        Assert.Equal(expected.Name, actual.Name);
        var differing = expected.Bytes.Zip(actual.Bytes).Count(p => p.Item1 != p.Item2);
        Assert.True(expected.Bytes.Length == actual.Bytes.Length && differing == 0,
            $"{what} wrote a checkpoint that differs from the unsharded one ({actual.Bytes.Length} and {expected.Bytes.Length} bytes, {differing} bytes differ).");
    }
}
