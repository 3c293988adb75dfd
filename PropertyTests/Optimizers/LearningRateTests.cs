using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

public sealed class LearningRateTests
{
    static readonly WarmupCosine Schedule = new(0.1, WarmupSteps: 3, DecaySteps: 10, End: 0.01);

    sealed record Weights(torch.Tensor W, torch.Tensor B);

    /// <summary>Runs <paramref name="steps"/> updates of <paramref name="pipeline"/> and reads the rate before each and after the last.</summary>
    static List<double?> RatesAlong(IGradientTransformation pipeline, int steps)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = new Weights(torch.ones(3), torch.zeros(2));
        using var half = 0.5.ToScalar();
        using var quarter = 0.25.ToScalar();
        var gradients = new Weights(torch.full(3, half), torch.full(2, quarter));
        var state = Optimizer.Init(pipeline, parameters);
        var rates = new List<double?> { Optimizer.LearningRate(state) };
        for (var i = 0; i < steps; i++)
        {
            state = Optimizer.Update(pipeline, gradients, state, parameters).State;
            rates.Add(Optimizer.LearningRate(state));
        }
        return rates;
    }

    [Fact]
    public void The_rate_is_the_schedule_at_the_count_of_real_updates()
    {
        var rates = RatesAlong(new Chain(new ClipByGlobalNorm(1), ScaleByAdam.Default, new ScaleByLearningRate(Schedule)), 15);

        Assert.Equal(Enumerable.Range(0, 16).Select(step => (double?)Schedule.Value(step)), rates);
        Assert.Equal(0.1, rates[3]); // the peak, right after the warm-up
    }

    [Fact]
    public void Accumulation_advances_the_rate_only_on_real_updates()
    {
        var rates = RatesAlong(new Accumulate(new SkipNonFinite(Optimizer.Adam(Schedule, ScaleByAdam.Default), 3), 4), 12);

        Assert.Equal(Enumerable.Range(0, 13).Select(call => (double?)Schedule.Value(call / 4)), rates);
    }

    [Fact]
    public void The_fused_adam_and_partitions_report_their_rate()
    {
        var fused = new FusedAdam(new ClipByGlobalNorm(1), ScaleByAdam.Default, new ScaleByLearningRate(Schedule), new ParameterEma(0.9, true));
        Assert.Equal(Enumerable.Range(0, 6).Select(step => (double?)Schedule.Value(step)), RatesAlong(fused, 5));

        var partition = new Partition([new PartitionRule("b", Optimizer.Sgd(new Constant(7)))], Optimizer.Adam(Schedule, ScaleByAdam.Default));
        Assert.Equal(Schedule.Value(2), RatesAlong(partition, 2)[^1]);
    }

    [Fact]
    public void A_pipeline_without_a_learning_rate_stage_has_none()
    {
        Assert.All(RatesAlong(new Chain(new Scale(-0.1)), 2), rate => Assert.Null(rate));
    }
}
