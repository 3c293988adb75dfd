using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;

namespace Functional.PropertyTests.Masking;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class PlaceRealRowsTests
{
    [Property(MaxTest = 200)]
    public void PlaceRealRows_inverts_RealRows_with_zero_padding_and_passes_each_rows_gradient(Batch batch, Dim length, Dim features, bool holes, bool emptyRow, bool extraAxis, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var mask = RandomMask(generator, batch, length, holes, emptyRow);
        long[] trailing = extraAxis ? [2, features] : [features];
        var count = mask.sum().item<long>();
        var rows = Normal(generator, [count, .. trailing]).requires_grad_(true);

        var placed = Masks.PlaceRealRows(rows, mask);
        Assert.Equal([batch, length, .. trailing], placed.shape);
        Assert.True(Same.Bitwise(rows.detach(), Masks.RealRows(placed, mask).detach()), "RealRows of the placed rows differs from the rows");
        AssertZero(placed.detach().index(mask.logical_not()), "padded positions");
        var weights = Normal(generator, placed.shape);
        var gradient = torch.autograd.grad([(placed * weights).sum()], [rows])[0];
        Assert.True(Same.Bitwise(Masks.RealRows(weights, mask), gradient), "a row's gradient is not the gradient at its position");
    }

    [Property(MaxTest = 100)]
    public void Rows_not_one_per_real_position_or_a_malformed_mask_are_refused(Batch batch, Dim length, Dim features, Dim off, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var mask = RandomMask(Rng(seed), batch, length, holes: true);
        var count = mask.sum().item<long>();

        var error = Assert.Throws<ArgumentException>(() => Masks.PlaceRealRows(torch.zeros(count + off, features), mask));
        Assert.Contains($"({count} rows [{count}, ...])", error.Message);
        Assert.Throws<ArgumentException>(() => Masks.PlaceRealRows(torch.zeros(count, features), mask.to(torch.int64)));
        Assert.Throws<ArgumentException>(() => Masks.PlaceRealRows(torch.zeros(count, features), mask.reshape(-1)));
    }
}
