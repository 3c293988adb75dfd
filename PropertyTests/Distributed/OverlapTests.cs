using System.Globalization;
using Functional.Distributed.TestHost;
using Functional.PropertyTests.Training;
using Functional.Training;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>
/// Gradient reduction overlapped with backward (<c>DataParallelOptions.Overlap</c>) under <c>mpirun -np 2</c>: the same
/// checkpoint bytes as one all-reduce after backward, whatever the bucket size and whichever progress (backward's
/// callbacks with non-blocking all-reduces, with or without a polling thread, or a communication thread), with a parameter that backward reaches twice, every
/// bucket started before backward ends; and a rank failing in or right after its backward ends every rank.
/// </summary>
public sealed class OverlapTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(150);

    [MpiFact]
    public void Two_ranks_write_the_same_checkpoint_bytes_with_overlap_as_without_for_any_bucket_size_and_progress_a_twice_used_weight_included()
    {
        var reference = Job("off", 64);
        var files = Directory.GetFiles(reference).Select(Path.GetFileName).Where(name => name!.StartsWith("step-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(16, files.Length);   // 8 steps, a tensor file and a record each
        foreach (var (mode, progress, bytes, buckets) in new[]
                 {
                     ("on", "BackwardCallbacks", 1L, 4), ("on", "BackwardCallbacks", 64L, 3), ("on", "BackwardCallbacks", 1L << 20, 1),
                     ("polling", "PollingThread", 64L, 3), ("thread", "CommunicationThread", 64L, 3),
                 })
        {
            // Every leaf's gradient is final inside backward, so every bucket starts reducing before backward ends.
            var overlapped = Job(mode, bytes, $"overlap on ({progress}), {buckets} buckets, step 8, last step: {buckets} of {buckets} buckets started in backward");
            foreach (var file in files)
                Assert.True(File.ReadAllBytes(Path.Combine(reference, file!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(overlapped, file!))),
                    $"{file} differs between overlap off and {mode} with buckets of {bytes} bytes.");
        }
    }

    [MpiTheory]
    // Killed mid-backward: rank 0 waits for a bucket's non-blocking all-reduce (callbacks) or its thread waits in one.
    [InlineData("on", "kill-backward", 1, "injected fault 'kill-backward'")]
    [InlineData("polling", "kill-backward", 1, "injected fault 'kill-backward'")]
    [InlineData("thread", "kill-backward", 1, "injected fault 'kill-backward'")]
    // An exception inside autograd ends the process (it cannot cross the native engine), its buckets' reductions started.
    [InlineData("on", "throw-backward", 0, "injected fault 'throw-backward'")]
    // The step fails after its backward, buckets handed over: MPI_Abort while reductions may still run.
    [InlineData("on", "throw-after-backward", 1, "The metric name 'loss' is reserved")]
    [InlineData("thread", "throw-after-backward", 1, "The metric name 'loss' is reserved")]
    public void A_rank_failing_in_or_after_its_overlapped_backward_ends_every_rank_and_the_newest_checkpoint_loads(string mode, string fault, int rank, string message)
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var job = MpiJob.Run(2, Timeout, "overlap", mode, "64", folder, "2", rank.ToString(CultureInfo.InvariantCulture), "3", fault);
        output.WriteLine($"{mode}, {fault} on rank {rank}: exit {job.ExitCode} after {job.Took.TotalSeconds:F1} s\n{job.Output}");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains(message, job.Output, StringComparison.Ordinal);
        if (fault == "throw-after-backward") Assert.Contains($"rank {rank} of 2: the data-parallel fit failed", job.Output, StringComparison.Ordinal);
        Assert.True(job.Took < Timeout, $"took {job.Took}");
        var latest = TrainStateFile.LoadLatest(new CheckpointStore(folder, keepLast: 100), TinyJob.InitParameters(), TinyJob.InitStats(), TinyJob.Pipeline);
        Assert.NotNull(latest);
        Assert.Equal(3, latest.State.Step);   // steps 1-3 done and saved; step 4 (position 3) failed
    }

    string Job(string overlap, long bucketBytes, string? expected = null)
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var job = MpiJob.Run(2, Timeout, "overlap", overlap, bucketBytes.ToString(CultureInfo.InvariantCulture), folder, "2");
        output.WriteLine(job.Output);
        Assert.True(job.ExitCode == 0, $"overlap {overlap}, buckets of {bucketBytes} bytes failed ({job.ExitCode}):\n{job.Output}");
        if (expected is not null) Assert.Contains(expected, job.Output, StringComparison.Ordinal);
        return folder;
    }
}
