using FsCheck.Xunit;
using Functional.Distributed;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>The fixed cut of a global batch into micro-shards, and the ranks' runs of them (<see cref="MicroShards"/>).</summary>
public sealed class MicroShardsTests
{
    [Property(MaxTest = 500)]
    public void The_ranks_runs_tile_the_micro_shards_in_order_and_differ_in_length_by_at_most_one(int seed)
    {
        var random = new Random(seed);
        var microShards = random.Next(1, 40);
        var ranks = random.Next(1, microShards + 1);
        var runs = Enumerable.Range(0, ranks).Select(rank => MicroShards.Of(microShards, rank, ranks)).ToArray();
        Assert.Equal(Enumerable.Range(0, microShards), runs.SelectMany(run => Enumerable.Range(run.First, run.Count)));
        Assert.All(runs, run => Assert.True(run.Count >= 1));
        Assert.True(runs.Max(run => run.Count) - runs.Min(run => run.Count) <= 1);
        Assert.Equal(runs.Max(run => run.Count), MicroShards.LongestRun(microShards, ranks));
    }

    [Property(MaxTest = 500)]
    public void Every_micro_shard_is_the_same_examples_whatever_the_rank_count_and_together_they_are_the_batch(int seed)
    {
        var random = new Random(seed);
        var microShards = random.Next(1, 20);
        var ranks = random.Next(1, microShards + 1);
        var batch = Enumerable.Range(0, random.Next(microShards, 100)).Select(_ => random.Next(1000)).ToArray();
        var alone = MicroShards.Cut(batch, microShards, 0, 1);
        var spread = Enumerable.Range(0, ranks).SelectMany(rank => MicroShards.Cut(batch, microShards, rank, ranks)).ToArray();
        Assert.Equal(microShards, spread.Length);
        for (var i = 0; i < microShards; i++) Assert.Equal(alone[i], spread[i]);
        Assert.Equal(batch, spread.SelectMany(shard => shard));
        Assert.All(spread, shard => Assert.NotEmpty(shard));
    }

    [Fact]
    public void Fewer_micro_shards_than_ranks_or_examples_than_micro_shards_are_refused_with_the_counts()
    {
        var ranks = Assert.Throws<ArgumentException>(() => MicroShards.Of(3, 0, 4));
        Assert.Contains("3 micro-shards cannot be spread over 4 ranks", ranks.Message, StringComparison.Ordinal);
        var examples = Assert.Throws<ArgumentException>(() => MicroShards.Cut([1, 2, 3], 4, 0, 2));
        Assert.Contains("A batch of 3 examples cannot be cut into 4 micro-shards", examples.Message, StringComparison.Ordinal);
    }
}
