using Functional.Models.Digits;
using Functional.Optimizers;
using Xunit;

namespace Functional.PropertyTests.Digits;

/// <summary>The digit trainer's optimizer keeps a weight average only when asked for one, as the title trainer's does.</summary>
public sealed class MnistPipelineTests
{
    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.5, true)]
    [InlineData(0.999, true)]
    public void An_ema_of_0_keeps_no_weight_average(double decay, bool averaged)
    {
        // ZeRO-1 (--zero) cannot shard a weight average: before this rule, --ema 0 still kept a (useless) average of
        // decay 0, so the digit trainer could not run under --zero at all.
        var pipeline = Assert.IsType<FusedAdam>(MnistTraining.Pipeline(MnistTrainingOptions.Default with { EmaDecay = decay }, stepsPerEpoch: 10));
        Assert.Equal(averaged, pipeline.Average is not null);
        if (averaged) Assert.Equal(decay, pipeline.Average!.Decay);
    }
}
