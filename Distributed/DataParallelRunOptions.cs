namespace Functional.Distributed;

/// <summary>
/// How an <see cref="MpiRunGroup"/> trains data-parallel: the plain all-reduce of the ranks' shard gradients (optionally
/// overlapped with backward, <see cref="Exchange"/>), or the exact reduction over a fixed number of micro-shards
/// (<see cref="ExactDataParallel"/>: the same bits for any rank count), optionally with the optimizer state sharded
/// across the ranks (ZeRO stage 1, <see cref="ZeroShards"/>).
/// </summary>
/// <param name="Exchange">The plain reduction's options (overlap, bucket size); unused by the exact one.</param>
/// <param name="MicroShards">Micro-shards per global batch for the exact reduction (at least the rank count, at most the smallest batch); 0: the plain reduction.</param>
/// <param name="Zero">Shard the optimizer state across the ranks (needs the exact reduction).</param>
public sealed record DataParallelRunOptions(DataParallelOptions Exchange, int MicroShards, bool Zero)
{
    /// <summary>The plain all-reduce without overlap (<see cref="DataParallelOptions.Default"/>), no sharding.</summary>
    public static DataParallelRunOptions Default { get; } = new(DataParallelOptions.Default, 0, false);

    /// <summary>The micro-shards per global batch a command line offers for the exact reduction: enough for up to 8 ranks, few enough for batches of 8 examples.</summary>
    public const int DefaultMicroShards = 8;

    /// <summary>Whether the exact reduction is used (<see cref="MicroShards"/> &gt; 0).</summary>
    public bool Exact => MicroShards > 0;

    /// <summary>The problems of these options, each naming the option (none: they can run).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Exchange is null) problems.Add("DataParallelRunOptions.Exchange is null.");
        else if (Exchange.BucketBytes <= 0) problems.Add($"DataParallelRunOptions.Exchange.BucketBytes must be positive (got {Exchange.BucketBytes}).");
        if (MicroShards < 0) problems.Add($"DataParallelRunOptions.MicroShards is 0 (the plain reduction) or the micro-shards of the exact one (got {MicroShards}).");
        if (Zero && !Exact) problems.Add("DataParallelRunOptions.Zero shards the optimizer state of the exact reduction: give MicroShards > 0 too.");
        if (Exact && Exchange is { Overlap: true }) problems.Add("DataParallelRunOptions.Exchange.Overlap applies to the plain reduction; the exact one exchanges the micro-shards' gradients after backward.");
        return problems;
    }

    /// <summary>These options when they have no <see cref="Problems"/>.</summary>
    /// <exception cref="ArgumentException">They have some (the message lists them).</exception>
    public DataParallelRunOptions Validated() =>
        Problems() is { Count: > 0 } problems ? throw new ArgumentException(string.Join(" ", problems)) : this;
}
