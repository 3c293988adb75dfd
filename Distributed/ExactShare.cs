namespace Functional.Distributed;

/// <summary>
/// This rank's part of one update of <see cref="ExactDataParallel"/>: for each of the update's global batches (one, or
/// <c>k</c> under gradient accumulation), the batches of this rank's run of micro-shards (<see cref="MicroShards.Of"/>).
/// </summary>
/// <param name="MicroShards">Micro-shards per global batch (<c>M</c>), the same on every rank and for every rank count.</param>
/// <param name="First">The first micro-shard index of this rank's run.</param>
/// <param name="Batches"><c>Batches[j][i]</c>: micro-shard <c>First + i</c> of the update's global batch <c>j</c>; every <c>Batches[j]</c> has the run's length.</param>
public sealed record ExactShare<TBatch>(int MicroShards, int First, IReadOnlyList<IReadOnlyList<TBatch>> Batches) : IDisposable
{
    /// <summary>Releases the batches that are disposable.</summary>
    public void Dispose()
    {
        foreach (var batch in Batches.SelectMany(b => b)) (batch as IDisposable)?.Dispose();
    }
}
