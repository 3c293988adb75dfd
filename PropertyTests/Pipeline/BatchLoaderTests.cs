using System.Collections.Concurrent;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using Functional.Training;

namespace Functional.PropertyTests.Pipeline;

public sealed class BatchLoaderTests
{
    static readonly TimeSpan NoHang = TimeSpan.FromSeconds(30);

    [Property(MaxTest = 100)]
    public void Batches_come_out_in_plan_order_whatever_the_number_of_workers(int seed, byte count)
    {
        var plan = BatchPlan.Shuffled(count, 5, seed, 0);
        var random = new Random(seed);
        var reference = BatchLoader.Load(plan, b => string.Join(',', b), 1, 1, 0, CancellationToken.None).ToArray();

        foreach (var workers in new[] { 2, 4 })
        {
            var delays = plan.Select(_ => random.Next(3)).ToArray();
            var loaded = BatchLoader.Load(plan, b => { Thread.Sleep(delays[b[0] % delays.Length]); return string.Join(',', b); }, workers, 3, 0, CancellationToken.None);
            Assert.Equal(reference, loaded.ToArray());
        }
        Assert.Equal(plan.Select(b => string.Join(',', b)), reference);
    }

    [Property(MaxTest = 50)]
    public void Resuming_at_a_batch_gives_the_rest_of_the_epoch(int seed, byte start)
    {
        var plan = BatchPlan.Shuffled(60, 4, seed, 2);
        var from = start % (plan.Count + 1);

        var resumed = BatchLoader.Load(plan, b => b.Sum(), 2, 2, from, CancellationToken.None).ToArray();

        Assert.Equal(plan.Skip(from).Select(b => b.Sum()), resumed);
    }

    [Fact]
    public void No_more_than_the_prefetch_is_made_ahead_of_the_consumer()
    {
        var plan = BatchPlan.Shuffled(200, 2, 1, 0);
        var made = 0;
        var consumed = 0;
        foreach (var _ in BatchLoader.Load(plan, b => Interlocked.Increment(ref made), 4, 3, 0, CancellationToken.None))
        {
            consumed++;
            Thread.Sleep(1);
            Assert.InRange(Volatile.Read(ref made), consumed, consumed + 3);
        }
        Assert.Equal(plan.Count, consumed);
    }

    [Fact]
    public async Task A_worker_exception_reaches_the_consumer_with_its_own_stack_and_nothing_hangs()
    {
        var plan = BatchPlan.Shuffled(100, 4, 1, 0);
        var failing = plan[7];

        var run = Task.Run(() => BatchLoader.Load(plan, b => ReferenceEquals(b, failing) ? ThrowFromCollate(b) : b.Length, 3, 4, 0, CancellationToken.None).Count());

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => run.WaitAsync(NoHang));
        Assert.Contains(nameof(ThrowFromCollate), error.StackTrace);
    }

    static int ThrowFromCollate(int[] batch) => throw new InvalidDataException($"bad example {batch[0]}");

    [Fact]
    public async Task Cancelling_stops_the_loader_and_its_workers()
    {
        var plan = BatchPlan.Shuffled(1000, 1, 1, 0);
        using var cancellation = new CancellationTokenSource();
        var live = new ConcurrentDictionary<int, bool>();
        var received = 0;

        var run = Task.Run(() =>
        {
            foreach (var _ in BatchLoader.Load(plan, b => { live[Environment.CurrentManagedThreadId] = true; Thread.Sleep(2); return b[0]; }, 2, 2, 0, cancellation.Token))
                if (++received == 10) cancellation.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(NoHang));
        Assert.Equal(10, received);
        Assert.NotEmpty(live);
    }

    [Fact]
    public void Batches_made_but_not_handed_out_are_disposed_when_the_consumer_leaves_early()
    {
        var plan = BatchPlan.Shuffled(50, 1, 1, 0);
        var batches = new ConcurrentBag<PaddedSequences>();

        var first = BatchLoader.Load(plan, b =>
        {
            var batch = PaddedSequences.Collate([[b[0] + 1]], 0, 1);
            batches.Add(batch);
            return batch;
        }, 2, 4, 0, CancellationToken.None).First();

        Assert.False(first.Ids.IsInvalid);
        Assert.All(batches.Where(b => !ReferenceEquals(b, first)), b => Assert.True(b.Ids.IsInvalid));
    }

    [Fact]
    public void Padding_collation_pads_with_the_id_and_masks_exactly_the_real_tokens()
    {
        using var batch = PaddedSequences.Collate([[5, 6, 7], [8], []], paddingId: 0, minimumLength: 4);

        Assert.Equal([3L, 4], batch.Ids.shape);
        Assert.Equal([5L, 6, 7, 0, 8, 0, 0, 0, 0, 0, 0, 0], batch.Ids.data<long>().ToArray());
        Assert.Equal([3L, 1, 0], batch.Mask.sum(1).data<long>().ToArray());
        Assert.Equal(torch.@bool, batch.Mask.dtype);
    }
}
