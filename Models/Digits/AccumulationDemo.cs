using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Functional.Training;

namespace Functional.Models.Digits;

/// <summary>Batch-of-B training against batch-of-1 training accumulated B times, update by update.</summary>
/// <param name="BatchSize">B: examples per update in both runs.</param>
/// <param name="LargeBatchLoss">The loss of each update's batch in the batch-of-B run.</param>
/// <param name="AccumulatedLoss">The mean loss of each update's B micro-batches in the accumulated run.</param>
/// <param name="MaxParameterDifference">The largest absolute difference between the two runs' parameters after each update.</param>
/// <param name="ParameterMovement">The largest absolute change of a parameter over the batch-of-B run (to read the differences against).</param>
public sealed record AccumulationComparison(
    int BatchSize, IReadOnlyList<double> LargeBatchLoss, IReadOnlyList<double> AccumulatedLoss, IReadOnlyList<double> MaxParameterDifference, double ParameterMovement);

/// <summary>
/// Gradient accumulation, demonstrated: <c>Accumulate(optimizer, B)</c> fed one example at a time makes the same updates
/// as Adam fed B examples at once (the mean of B per-example gradients is the batch gradient), with the memory of a
/// batch of one. Dropout is off so both runs compute the same function.
/// </summary>
public static class AccumulationDemo
{
    /// <summary>
    /// Runs both trainings for <paramref name="updates"/> updates over the first examples of <paramref name="train"/>,
    /// in order: <paramref name="optimizer"/> fed batches of <paramref name="batchSize"/>, and
    /// <c>Accumulate(optimizer, batchSize)</c> fed single examples. The classifier is made on the device of
    /// <paramref name="train"/>.
    /// </summary>
    public static AccumulationComparison Run(DigitBatch train, IGradientTransformation optimizer, int hidden, int batchSize, int updates, int seed)
    {
        if (batchSize < 1 || updates < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"Need at least one update of at least one example, got {updates} of {batchSize}.");
        if ((long)batchSize * updates > train.Digits.shape[0])
            throw new ArgumentOutOfRangeException(nameof(updates), $"{updates} updates of {batchSize} need {(long)batchSize * updates} examples; the data has {train.Digits.shape[0]}.");
        var device = train.Pixels.device;
        using var generator = new torch.Generator((ulong)seed, device);
        var initial = DigitClassifier.Init(generator, hidden, dropoutRate: 0, device);
        var whole = optimizer;
        var accumulated = new Accumulate(optimizer, batchSize);
        var large = TrainState.Init(initial, NoState.Value, whole, (ulong)seed);
        var small = TrainState.Init(initial, NoState.Value, accumulated, (ulong)seed);
        var (largeLosses, smallLosses, differences) = (new List<double>(), new List<double>(), new List<double>());
        for (var update = 0; update < updates; update++)
        {
            var first = update * batchSize;
            using (var batch = DigitBatch.Gather(train.Pixels, train.Digits, Enumerable.Range(first, batchSize).ToArray()))
                large = Advance(large, TrainingSteps.Step<DigitClassifier, NoState, DigitBatch>(DigitClassifier.Model, whole, large, batch), largeLosses);
            var microLosses = new List<double>();
            for (var example = first; example < first + batchSize; example++)
            {
                using var single = DigitBatch.Gather(train.Pixels, train.Digits, [example]);
                small = Advance(small, TrainingSteps.Step<DigitClassifier, NoState, DigitBatch>(DigitClassifier.Model, accumulated, small, single), microLosses);
            }
            smallLosses.Add(microLosses.Average());
            differences.Add(MaxDifference(large.Parameters, small.Parameters));
        }
        var movement = MaxDifference(initial, large.Parameters);
        Tree.Dispose(initial);
        TrainState.Dispose(large);
        TrainState.Dispose(small);
        return new AccumulationComparison(batchSize, largeLosses, smallLosses, differences, movement);
    }

    static TrainState<DigitClassifier, NoState> Advance(TrainState<DigitClassifier, NoState> previous, StepResult<DigitClassifier, NoState> step, List<double> losses)
    {
        TrainState.Dispose(previous);
        losses.Add(step.Metrics[TrainingSteps.LossName]);
        return step.State;
    }

    static double MaxDifference(DigitClassifier first, DigitClassifier second)
    {
        using var scope = torch.NewDisposeScope();
        return Tree.Leaves(first).Zip(Tree.Leaves(second), (a, b) => (a - b).abs().max().item<float>()).Max();
    }
}
