using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Masking;

/// <summary>Test-only sequence layers: one that respects masks and several that leak padding in different ways.</summary>
public static class TestLayers
{
    /// <summary>Per-position linear map, padded outputs zeroed: mask-invariant.</summary>
    public static MaskedSequence Correct(LinearParams p, torch.Tensor values, torch.Tensor mask) =>
        new(Linear.Apply(p, values).masked_fill(mask.unsqueeze(-1).logical_not(), Scalars.Zero), mask);

    /// <summary>Adds the unmasked mean over all positions: padding content leaks into real outputs.</summary>
    public static MaskedSequence LeaksValues(LinearParams p, torch.Tensor values, torch.Tensor mask) =>
        new(Correct(p, values, mask).Values.add(values.mean([1], keepdim: true).sum(-1, keepdim: true), Scalars.One), mask);

    /// <summary>Adds padding minus itself as a constant: same values, but gradient reaches padded inputs.</summary>
    public static MaskedSequence LeaksGradient(LinearParams p, torch.Tensor values, torch.Tensor mask)
    {
        var padded = values.masked_fill(mask.unsqueeze(-1), Scalars.Zero).sum([1, 2]);
        var zero = padded - padded.detach();
        return new(Correct(p, values, mask).Values.add(zero.reshape(-1, 1, 1), Scalars.One), mask);
    }

    /// <summary>Returns an all-true mask: the output claims padding is real.</summary>
    public static MaskedSequence ForgetsMask(LinearParams p, torch.Tensor values, torch.Tensor mask) =>
        new(Correct(p, values, mask).Values, torch.ones_like(mask));

    /// <summary>A plain softmax over positions with -inf at padding: NaN in every output of an all-padding row.</summary>
    public static MaskedSequence NaNForEmptyRows(LinearParams p, torch.Tensor values, torch.Tensor mask)
    {
        using var minusInfinity = double.NegativeInfinity.ToScalar();
        var scores = Linear.Apply(p, values).masked_fill(mask.unsqueeze(-1).logical_not(), minusInfinity);
        return new(scores.softmax(1), mask);
    }
}

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class MaskInvarianceTests
{
    static MaskInvarianceOptions Options(Dim features, int seed) =>
        MaskInvarianceOptions.Default with { Cases = 6, Features = features, Seed = seed };

    [Property(MaxTest = 50)]
    public void A_layer_that_respects_masks_passes(Dim features, Dim outputs, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Linear.Init(Rng(seed), features, outputs, Cpu);
        var report = MaskInvariance.Check(TestLayers.Correct, p, Options(features, seed));
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(6, report.CasesRun);
        Assert.Null(report.FirstViolation);
    }

    [Property(MaxTest = 50)]
    public void A_layer_that_leaks_padding_into_real_outputs_is_caught_at_a_real_position(Dim features, Dim outputs, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Linear.Init(Rng(seed), features, outputs, Cpu);
        var report = MaskInvariance.Check(TestLayers.LeaksValues, p, Options(features, seed));
        Assert.False(report.Passed);
        var violation = report.FirstViolation!;
        Assert.Equal("real outputs", violation.Check);
        Assert.InRange(violation.Row, 0, 3);
        Assert.InRange(violation.Position, 0, 5);
        Assert.Contains("became", violation.Detail);
        Assert.Contains(violation.Detail, report.ToString());
    }

    [Property(MaxTest = 50)]
    public void A_layer_whose_gradient_reaches_padding_is_caught(Dim features, Dim outputs, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Linear.Init(Rng(seed), features, outputs, Cpu);
        var report = MaskInvariance.Check(TestLayers.LeaksGradient, p, Options(features, seed));
        Assert.False(report.Passed);
        Assert.Equal("padded input gradients", report.FirstViolation!.Check);
        Assert.True(report.FirstViolation.Row >= 0 && report.FirstViolation.Position >= 0);
    }

    [Property(MaxTest = 50)]
    public void A_layer_that_drops_its_mask_is_caught(Dim features, Dim outputs, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Linear.Init(Rng(seed), features, outputs, Cpu);
        var report = MaskInvariance.Check(TestLayers.ForgetsMask, p, Options(features, seed));
        Assert.False(report.Passed);
        Assert.Equal("output mask", report.FirstViolation!.Check);
    }

    [Property(MaxTest = 30)]
    public void A_layer_that_gives_NaN_for_all_padding_rows_is_caught_in_the_first_case(Dim features, Dim outputs, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var p = Linear.Init(Rng(seed), features, outputs, Cpu);
        var report = MaskInvariance.Check(TestLayers.NaNForEmptyRows, p, Options(features, seed));
        Assert.False(report.Passed);
        Assert.Equal(("finite outputs", 0, 0L), (report.FirstViolation!.Check, report.FirstViolation.Case, report.FirstViolation.Row));
    }

    [Fact]
    public void The_check_leaves_the_callers_parameters_untouched_and_refuses_bad_options()
    {
        using var scope = torch.NewDisposeScope();
        var p = Linear.Init(Rng(1), 3, 2, Cpu);
        var snapshot = Snapshot(p);
        Assert.True(MaskInvariance.Check(TestLayers.Correct, p, MaskInvarianceOptions.Default).Passed);
        AssertUnchanged(p, snapshot);
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskInvariance.Check(TestLayers.Correct, p, MaskInvarianceOptions.Default with { Cases = 0 }));
    }
}
