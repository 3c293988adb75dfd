using Functional.Training;

namespace Functional.Distributed;

/// <summary>This rank's <see cref="ExactShare{TBatch}"/>s of a run's global batches, for <see cref="ExactDataParallel"/>.</summary>
public static class ExactShares
{
    /// <summary>
    /// The training data of rank <paramref name="rank"/> of <paramref name="ranks"/>: each epoch's global batches
    /// (<paramref name="epochPlan"/>, <paramref name="batchesPerEpoch"/> of them, the same on every rank) grouped into updates of
    /// <paramref name="batchesPerUpdate"/> consecutive batches, each batch cut into <paramref name="microShards"/> micro-shards
    /// of which this rank loads its run (<see cref="MicroShards.Cut"/>) with <paramref name="load"/>. One element per update.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="batchesPerUpdate"/> does not divide <paramref name="batchesPerEpoch"/> (an update would span two epochs), or <see cref="MicroShards.Of"/> refuses the counts.</exception>
    public static TrainingData<ExactShare<TBatch>> Data<TBatch>(Func<int, IReadOnlyList<int[]>> epochPlan, int batchesPerEpoch, Func<int[], TBatch> load, int microShards, int batchesPerUpdate, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(epochPlan);
        ArgumentNullException.ThrowIfNull(load);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchesPerUpdate, 1);
        if (batchesPerEpoch % batchesPerUpdate != 0)
            throw new ArgumentException($"{batchesPerUpdate} batches per update do not divide the {batchesPerEpoch} batches of an epoch (an update would span two epochs); choose a batch size or an accumulation count that do.", nameof(batchesPerUpdate));
        var run = MicroShards.Of(microShards, rank, ranks);
        return new TrainingData<ExactShare<TBatch>>(batchesPerEpoch / batchesPerUpdate, position => Updates(epochPlan(position.Epoch), position.Batch, load, microShards, batchesPerUpdate, run, rank, ranks));
    }

    static IEnumerable<ExactShare<TBatch>> Updates<TBatch>(IReadOnlyList<int[]> plan, int firstUpdate, Func<int[], TBatch> load, int microShards, int batchesPerUpdate, MicroShards.Run run, int rank, int ranks)
    {
        for (var update = firstUpdate; update < plan.Count / batchesPerUpdate; update++)
        {
            var batches = Enumerable.Range(update * batchesPerUpdate, batchesPerUpdate)
                .Select(b => (IReadOnlyList<TBatch>)MicroShards.Cut(plan[b], microShards, rank, ranks).Select(load).ToArray()).ToArray();
            yield return new ExactShare<TBatch>(microShards, run.First, batches);
        }
    }
}
