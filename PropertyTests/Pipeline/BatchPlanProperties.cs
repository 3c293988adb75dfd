using FsCheck.Xunit;
using Xunit;
using Functional.Training;

namespace Functional.PropertyTests.Pipeline;

public sealed class BatchPlanProperties
{
    [Property(MaxTest = 300)]
    public void Every_plan_holds_each_example_exactly_once_in_full_batches_but_the_last(int seed, byte count, byte batch)
    {
        int examples = count, size = batch % 17 + 1;
        var lengths = Enumerable.Range(0, examples).Select(i => (i * 7919 + seed) % 50).ToArray();

        foreach (var plan in new[] { BatchPlan.Shuffled(examples, size, seed, 3), BatchPlan.Bucketed(lengths, size, 4, seed, 3) })
        {
            Assert.Equal(Enumerable.Range(0, examples), plan.SelectMany(b => b).Order());
            Assert.All(plan, b => Assert.InRange(b.Length, 1, size));
        }
        Assert.All(BatchPlan.Shuffled(examples, size, seed, 3).SkipLast(1), b => Assert.Equal(size, b.Length));
    }

    [Property(MaxTest = 200)]
    public void Plans_depend_only_on_seed_and_epoch(int seed, int epoch)
    {
        Assert.Equal(BatchPlan.Shuffled(100, 7, seed, epoch), BatchPlan.Shuffled(100, 7, seed, epoch));
        Assert.NotEqual(BatchPlan.Shuffled(100, 7, seed, epoch).SelectMany(b => b), BatchPlan.Shuffled(100, 7, seed, epoch + 1).SelectMany(b => b));
    }

    [Fact]
    public void Bucketing_cuts_padding_against_shuffling()
    {
        var random = new Random(5);
        var lengths = Enumerable.Range(0, 2000).Select(_ => random.Next(1, 150)).ToArray();
        double Padding(IReadOnlyList<int[]> plan) => plan.Sum(b => b.Max(i => lengths[i]) * b.Length - b.Sum(i => lengths[i]));

        var shuffled = Padding(BatchPlan.Shuffled(lengths.Length, 32, 1, 0));
        var bucketed = Padding(BatchPlan.Bucketed(lengths, 32, 50, 1, 0));

        Assert.True(bucketed < shuffled / 5, $"padding {bucketed} bucketed against {shuffled} shuffled");
    }
}
