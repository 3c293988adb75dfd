using TorchSharp;

namespace Functional.Training;

/// <summary>
/// The check that stored floating-point values are all finite, so that a NaN or an infinity written into a
/// checkpoint or a model file (a diverged run, a damaged or edited file) is refused on load instead of spreading.
/// </summary>
public static class FiniteValues
{
    /// <summary>
    /// The first tensor of <paramref name="tensors"/> (in their order) holding NaN or an infinity, with a description
    /// such as <c>3 of 4096 values are NaN or infinite (the first at index 17: NaN)</c>; null when every floating-point
    /// tensor is finite. Tensors of other dtypes (integers, booleans, bytes) are always finite. Nothing is changed.
    /// </summary>
    public static (string Name, string Problem)? FirstNonFinite(IEnumerable<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var (name, value) in tensors)
        {
            if (!value.is_floating_point() || value.numel() == 0) continue;
            using var scope = torch.NewDisposeScope();
            var finite = value.isfinite();
            if (finite.all().item<bool>()) continue;
            var bad = finite.logical_not().flatten();
            var count = bad.sum().item<long>();
            var first = bad.nonzero()[0, 0].item<long>();
            var sample = value.flatten()[first].to_type(torch.ScalarType.Float64).item<double>();
            return (name, $"{count} of {value.numel()} values are NaN or infinite (the first at flat index {first}: {Describe(sample)})");
        }
        return null;
    }

    static string Describe(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Infinity" : "-Infinity";
}
