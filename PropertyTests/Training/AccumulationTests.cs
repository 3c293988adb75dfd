using Functional.Optimizers;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;

namespace Functional.PropertyTests.Training;

public sealed class AccumulationTests
{
    [Theory]
    [InlineData(10, 1)]
    [InlineData(7, 2)]
    public void Batch_of_one_accumulated_b_times_makes_the_updates_of_batch_b_with_sgd(int batchSize, ulong seed)
    {
        using var data = RandomDigits(batchSize * 6, seed);

        var comparison = AccumulationDemo.Run(data, Optimizer.Momentum(0.1, 0.9), hidden: 16, batchSize, updates: 6, seed: (int)seed);

        // Only the summation order of the gradient differs: float32 rounding.
        Assert.All(comparison.MaxParameterDifference, d => Assert.InRange(d, 0, 1e-6));
        Assert.All(comparison.LargeBatchLoss.Zip(comparison.AccumulatedLoss), pair => Assert.Equal(pair.Item1, pair.Item2, 1e-5));
        Assert.True(comparison.ParameterMovement > 1e-2, $"The parameters moved only {comparison.ParameterMovement}, so the comparison says little.");
    }

    [Fact]
    public void With_adam_the_two_runs_stay_within_a_hundredth_of_one_step()
    {
        const double LearningRate = 1e-2;
        using var data = RandomDigits(60, 3);

        var comparison = AccumulationDemo.Run(data, Optimizer.Adam(LearningRate), hidden: 16, batchSize: 10, updates: 6, seed: 3);

        // Adam's first step is about lr * sign(gradient): where a gradient is at rounding level, the sign can differ
        // between the two summation orders. Such elements move by less than lr, so the runs stay far closer than one step.
        Assert.All(comparison.MaxParameterDifference, d => Assert.InRange(d, 0, LearningRate / 100));
        Assert.All(comparison.LargeBatchLoss.Zip(comparison.AccumulatedLoss), pair => Assert.Equal(pair.Item1, pair.Item2, 1e-4));
    }
}
