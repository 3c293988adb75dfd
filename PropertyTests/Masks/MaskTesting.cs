using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Masking;

/// <summary>Random masks and sequences for the mask and sequence-layer properties.</summary>
public static class MaskTesting
{
    /// <summary>
    /// A mask [batch, length]: a prefix of random length in 0..length per row, or (with <paramref name="holes"/>) each
    /// position real with probability 1/2. Row 0 is all padding when <paramref name="emptyRow"/>.
    /// </summary>
    public static torch.Tensor RandomMask(torch.Generator generator, long batch, long length, bool holes, bool emptyRow = false)
    {
        var mask = holes
            ? torch.rand([batch, length], generator: generator).lt(Scalars.Half)
            : Masks.FromLengths(torch.randint(0, length + 1, [batch], generator: generator), length);
        if (emptyRow) mask[0] = torch.zeros(length, dtype: torch.@bool);
        return mask;
    }

    /// <summary>The prefix mask of the given row lengths.</summary>
    public static torch.Tensor Prefix(long length, params long[] lengths) => Masks.FromLengths(torch.tensor(lengths), length);

    /// <summary><paramref name="values"/> with every padded position replaced by <paramref name="junk"/> (broadcast).</summary>
    public static torch.Tensor WithJunk(torch.Tensor values, torch.Tensor mask, torch.Tensor junk) =>
        torch.where(Widen(mask, values.dim()), values, junk.expand(values.shape));

    /// <summary>The mask [batch, length] as [batch, length, 1, ...] of rank <paramref name="rank"/>.</summary>
    public static torch.Tensor Widen(torch.Tensor mask, long rank) =>
        mask.reshape([.. mask.shape, .. Enumerable.Repeat(1L, (int)rank - 2)]);

    /// <summary>Every element is finite.</summary>
    public static void AssertFinite(torch.Tensor tensor, string what) =>
        Assert.True(tensor.isfinite().all().item<bool>(), $"{what} has non-finite elements");

    /// <summary>Every element is exactly zero.</summary>
    public static void AssertZero(torch.Tensor tensor, string what)
    {
        if (tensor.eq(Scalars.Zero).all().item<bool>()) return;
        Assert.Fail($"{what} is not all zero (max |x| = {tensor.abs().max().to(torch.float64).item<double>():G4})");
    }

    /// <summary>The real positions of row <paramref name="row"/> of a [batch, length, ...] tensor, in order.</summary>
    public static torch.Tensor RealOf(torch.Tensor values, torch.Tensor mask, long row) =>
        values[row].index(mask[row]);
}
