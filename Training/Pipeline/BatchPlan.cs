namespace Functional.Training;

/// <summary>
/// Which examples go into which batch in one epoch: a list of batches of example indices that together hold every
/// index exactly once (the last batch may be smaller). Plans depend only on their inputs and the (seed, epoch)
/// pair, so a run can be replayed or resumed from any batch.
/// </summary>
public static class BatchPlan
{
    /// <summary>The examples in a random order of the epoch, cut into batches of <paramref name="batchSize"/>.</summary>
    public static IReadOnlyList<int[]> Shuffled(int count, int batchSize, int seed, int epoch)
    {
        CheckSizes(count, batchSize);
        var order = Permutation(count, EpochRandom(seed, epoch));
        return order.Chunk(batchSize).ToArray();
    }

    /// <summary>
    /// Batches of examples of similar length, for sequences: the shuffled examples are taken in pools of
    /// <paramref name="poolBatches"/> batches, each pool is sorted by length and cut into batches, and the batches
    /// of all pools are shuffled. Less padding than <see cref="Shuffled"/>, still random from epoch to epoch.
    /// </summary>
    public static IReadOnlyList<int[]> Bucketed(IReadOnlyList<int> lengths, int batchSize, int poolBatches, int seed, int epoch)
    {
        CheckSizes(lengths.Count, batchSize);
        if (poolBatches < 1) throw new ArgumentOutOfRangeException(nameof(poolBatches), poolBatches, "A pool holds at least one batch.");
        var random = EpochRandom(seed, epoch);
        var batches = Permutation(lengths.Count, random)
            .Chunk(batchSize * poolBatches)
            .SelectMany(pool => pool.OrderBy(i => lengths[i]).ThenBy(i => i).Chunk(batchSize))
            .ToArray();
        return Permutation(batches.Length, random).Select(i => batches[i]).ToArray();
    }

    // Not HashCode.Combine: its seed changes from process to process, and plans must not.
    static Random EpochRandom(int seed, int epoch) => new(unchecked(seed * 1_000_003 + epoch * 7_919 + 17));

    static int[] Permutation(int count, Random random)
    {
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        return order;
    }

    static void CheckSizes(int count, int batchSize)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The number of examples cannot be negative.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
    }
}
