namespace Functional.Distributed;

/// <summary>
/// The fixed cut of a global batch that makes data-parallel training independent of the rank count: the batch is cut
/// into <c>M</c> micro-shards (<c>M</c> chosen by the run, not by the job), micro-shard <c>i</c> being the contiguous slice
/// <see cref="DataParallel.Shard"/><c>(batch, i, M)</c>, and rank <c>r</c> of <c>R</c> computes the contiguous run of
/// micro-shards <c>[M·r/R, M·(r+1)/R)</c>. Which rank computes a micro-shard changes with <c>R</c>; the micro-shards, and so
/// every gradient and the order in which they are summed (<see cref="ExactDataParallel"/>), do not.
/// </summary>
public static class MicroShards
{
    /// <summary>The micro-shards one rank computes: <c>[First, First + Count)</c>; runs of all ranks, in rank order, are <c>0 .. M-1</c> and differ in length by at most one.</summary>
    /// <param name="First">The first micro-shard index of the run.</param>
    /// <param name="Count">How many micro-shards the run has (at least one).</param>
    public sealed record Run(int First, int Count);

    /// <summary>Rank <paramref name="rank"/>'s run of the <paramref name="microShards"/> micro-shards (see <see cref="MicroShards"/>).</summary>
    /// <exception cref="ArgumentException">Fewer micro-shards than ranks (a rank would have none), or a rank outside <c>0 .. ranks-1</c>.</exception>
    public static Run Of(int microShards, int rank, int ranks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        if (rank < 0 || rank >= ranks) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"Ranks are 0 .. {ranks - 1}.");
        if (microShards < ranks)
            throw new ArgumentException($"{microShards} micro-shards cannot be spread over {ranks} ranks (a rank would have none); use at least {ranks} micro-shards, or fewer ranks.", nameof(microShards));
        var first = (int)((long)microShards * rank / ranks);
        var end = (int)((long)microShards * (rank + 1) / ranks);
        return new Run(first, end - first);
    }

    /// <summary>The longest run any rank has: <c>ceil(M / R)</c>.</summary>
    public static int LongestRun(int microShards, int ranks) => (microShards + ranks - 1) / ranks;

    /// <summary>The example indices of this rank's micro-shards of <paramref name="batch"/>, in micro-shard order.</summary>
    /// <exception cref="ArgumentException">The batch has fewer examples than micro-shards, or <see cref="Of"/> refuses the counts.</exception>
    public static int[][] Cut(int[] batch, int microShards, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var run = Of(microShards, rank, ranks);
        if (batch.Length < microShards)
            throw new ArgumentException($"A batch of {batch.Length} examples cannot be cut into {microShards} micro-shards (one would be empty); choose a batch size (and an example count) that leave every batch at least {microShards} examples.", nameof(batch));
        return Enumerable.Range(run.First, run.Count).Select(i => DataParallel.Shard(batch, i, microShards)).ToArray();
    }
}
