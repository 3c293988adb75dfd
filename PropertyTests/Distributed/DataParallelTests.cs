using System.Globalization;
using Functional.Core;
using Functional.Distributed;
using Functional.Distributed.TestHost;
using Functional.Optimizers;
using Functional.PropertyTests.Training;
using Functional.Training;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>Two processes under mpirun against one process: the same parameters; a killed rank ends the job cleanly.</summary>
public sealed class DataParallelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [MpiFact]
    public void Two_ranks_equal_one_process_accumulating_their_shards_bitwise_and_the_doubled_batch_within_float_rounding_model_state_included()
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var job = MpiJob.Run(2, Timeout, folder, "2");
        Assert.True(job.ExitCode == 0, $"The 2-rank job failed ({job.ExitCode}):\n{job.Output}");
        var template = TinyJob.InitParameters();
        var distributed = TrainStateFile.LoadLatest(new CheckpointStore(folder, keepLast: 3), template, TinyJob.InitStats(), TinyJob.Pipeline)!.State;
        Assert.Equal(8, distributed.Step);

        // One process, the same global batches cut into the two ranks' shards as micro-batches: the same sums, bitwise.
        var accumulated = Train(batch => [DataParallel.Shard(batch, 0, 2), DataParallel.Shard(batch, 1, 2)], new Accumulate(TinyJob.Pipeline, 2));
        // One process, the whole global batch per step: the mean over 16 rows instead of the mean of two means of 8.
        var doubled = Train(batch => [batch], TinyJob.Pipeline);

        var pairs = Tree.Leaves(distributed.Parameters).Zip(Tree.Leaves(accumulated.Parameters), Tree.Leaves(doubled.Parameters)).ToArray();
        foreach (var (mpi, accumulate, _) in pairs) Assert.True(mpi.eq(accumulate).all().item<bool>(), "2 ranks differ from Accumulate(2) over the shards.");
        var largest = pairs.Max(p => p.Third.sub(p.First).abs().max().item<float>());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"largest difference from the doubled batch after 8 Adam steps: {largest:G3}"));
        Assert.True(largest < 1e-5f, string.Create(CultureInfo.InvariantCulture, $"2 ranks differ from the doubled batch by {largest:G3}."));
        var moved = Tree.Leaves(template).Zip(Tree.Leaves(distributed.Parameters)).Max(p => p.Item1.sub(p.Item2).abs().max().item<float>());
        Assert.True(moved > 1e-3f, "Training did not move the parameters.");

        // Model state is averaged over the ranks each step: for equal shards, the running mean of the global batch's means.
        var mpiMean = distributed.ModelState.InputMean;
        var globalMean = doubled.ModelState.InputMean;
        var stateDifference = mpiMean.sub(globalMean).abs().max().item<float>();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"largest difference of the running input mean from the doubled batch's: {stateDifference:G3}"));
        Assert.True(stateDifference < 1e-6f, string.Create(CultureInfo.InvariantCulture, $"The ranks' averaged model state differs from the global batch's by {stateDifference:G3}."));
        Assert.True(mpiMean.abs().max().item<float>() > 1e-3f, "The model state did not move.");
    }

    [MpiFact]
    public void A_killed_rank_ends_the_job_quickly_with_the_launchers_message_the_newest_checkpoint_loads_and_only_the_same_rank_count_resumes()
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var store = new CheckpointStore(folder, keepLast: 3);
        var killed = MpiJob.Run(2, Timeout, folder, "1000", "1", "20");
        Assert.NotEqual(0, killed.ExitCode);
        Assert.Contains("exited on signal 9", killed.Output, StringComparison.Ordinal);
        var died = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(File.ReadAllText(Path.Combine(folder, "died-at.txt")), CultureInfo.InvariantCulture));
        Assert.True(killed.Ended - died < TimeSpan.FromSeconds(20), $"The surviving rank took {(killed.Ended - died).TotalSeconds:F1} s to end.");

        var template = TinyJob.InitParameters();
        var latest = TrainStateFile.LoadLatest(store, template, TinyJob.InitStats(), TinyJob.Pipeline);
        Assert.NotNull(latest);
        Assert.Empty(latest.Skipped);   // the newest checkpoint itself is whole, no fallback
        Assert.Equal(20, latest.State.Step);

        var otherCount = MpiJob.Run(1, Timeout, folder, "6");
        Assert.NotEqual(0, otherCount.ExitCode);
        Assert.Contains("was trained with 2 processes and cannot resume with 1", otherCount.Output, StringComparison.Ordinal);

        var resumed = MpiJob.Run(2, Timeout, folder, "6");
        Assert.True(resumed.ExitCode == 0, $"Resuming with 2 ranks failed:\n{resumed.Output}");
        Assert.Equal(24, store.Steps()[^1]);
    }

    static TrainState<TinyMlp, TinyStats> Train(Func<int[], IEnumerable<int[]>> cut, IGradientTransformation pipeline)
    {
        using var data = TinyJob.DataSet();
        var parameters = TinyJob.InitParameters();
        var state = TrainState.Init(parameters, TinyJob.InitStats(), pipeline, TinyJob.Seed);
        var result = Fit.Run(TinyJob.Model, pipeline, state, TinyJob.Data(data, cut), null, FitOptions.Default with { Epochs = 2 }, CancellationToken.None);
        return result.State;
    }
}
