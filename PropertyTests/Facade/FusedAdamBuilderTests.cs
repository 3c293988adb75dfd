using Functional.Facade;
using Functional.Optimizers;
using Xunit;
using Optimizer = Functional.Facade.Optimizer;

namespace Functional.PropertyTests.Facade;

/// <summary>The facade's fused Adam start builds the core <see cref="FusedAdam"/> it names, and refuses parts the kernel does not take.</summary>
public sealed class FusedAdamBuilderTests
{
    [Fact]
    public void Fused_adam_with_a_clip_and_an_average_is_the_core_fused_adam_with_them()
    {
        var built = Optimizer.FusedAdam(0.01).WithEma(0.9).ClipByGlobalNorm(1).Build();

        var expected = new FusedAdam(new ClipByGlobalNorm(1), ScaleByAdam.Default, new ScaleByLearningRate(new Constant(0.01)), new ParameterEma(0.9, false));
        Assert.Equal(expected, built);
    }

    [Fact]
    public void Fused_adam_alone_is_the_core_alias_and_stages_like_the_staged_adam()
    {
        var built = Assert.IsType<FusedAdam>(Optimizer.FusedAdam(0.01).Build());

        Assert.Equal(Functional.Optimizers.Optimizer.FusedAdam(0.01), built);
        Assert.Equal(Optimizer.Adam(0.01).Build(), built.Staged);
    }

    [Fact]
    public void Rules_and_accumulation_on_a_fused_start_are_configuration_errors_reported_together()
    {
        var errors = Optimizer.FusedAdam(0.01).Freeze("embedding/*").AccumulateEvery(2).Validate();

        Assert.Equal(["AccumulateEvery.k", "Freeze.pattern"], errors.Select(e => e.Setting).OrderBy(s => s, StringComparer.Ordinal).ToArray());
        Assert.All(errors, e => Assert.Contains("fused Adam kernel", e.Problem));
    }
}
