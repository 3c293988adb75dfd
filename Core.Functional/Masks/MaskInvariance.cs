using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The test to run on a sequence layer of one's own: padding must not influence anything real.
/// </summary>
public static class MaskInvariance
{
    /// <summary>
    /// Runs <paramref name="layer"/> (values [batch, length, features], mask [batch, length] to a
    /// <see cref="MaskedSequence"/> output [batch, outLength, ...] with its mask) on random batches, and again on the same
    /// batches with the content of every padded position replaced and extra padded positions appended. It checks,
    /// in this order, stopping at the first violation: the output masks agree (positions the padded copy adds are
    /// padding); all outputs are finite; outputs at real output positions agree; all gradients are finite; the
    /// gradient of a fixed random weighting of the real outputs with respect to every parameter leaf agrees; and the
    /// gradient reaching padded inputs is exactly zero in both runs.
    /// </summary>
    /// <remarks>
    /// Every floating leaf of <paramref name="parameters"/> is converted to float64 and the values are float64, so
    /// the layer must compute in the dtype of its parameters. The layer must be deterministic. The caller's tensors
    /// are not touched; everything allocated is released. A mask may have all-padding rows (every third case has
    /// one) and, with <see cref="MaskInvarianceOptions.Holes"/>, holes.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static MaskInvarianceReport Check<TParams>(Func<TParams, Tensor, Tensor, MaskedSequence> layer, TParams parameters, MaskInvarianceOptions options)
    {
        Validate(options);
        for (var index = 0; index < options.Cases; index++)
        {
            using var scope = NewDisposeScope();
            var violation = RunCase(layer, parameters, options, index);
            if (violation is not null) return new MaskInvarianceReport(false, index + 1, violation);
        }
        return new MaskInvarianceReport(true, options.Cases, null);
    }

    /// <summary>The parameters and the input values, differentiated together.</summary>
    sealed record Point<TParams>(TParams Parameters, Tensor Values);

    sealed record Run<TParams>(MaskedSequence Output, Point<TParams> Gradient);

    static MaskInvarianceViolation? RunCase<TParams>(Func<TParams, Tensor, Tensor, MaskedSequence> layer, TParams parameters, MaskInvarianceOptions options, int index)
    {
        // The case is drawn where torch makes tensors by default, then moved to the parameters' device: the same
        // seed gives the same case on every device.
        var generator = new Generator(unchecked((ulong)(uint)options.Seed * 1_000_003UL + (ulong)index));
        var point = Tree.Map(parameters, leaf => leaf.is_floating_point() ? leaf.detach().to(float64).clone() : leaf.detach());
        var batch = Draw(generator, 1, options.MaxBatch);
        var length = Draw(generator, 1, options.MaxLength);
        var extra = Draw(generator, 1, options.MaxExtraPadding);
        var mask = options.Holes && index % 2 == 1
            ? rand([batch, length], generator: generator).lt(HoleThreshold)
            : Masks.FromLengths(randint(0, length + 1, [batch], generator: generator), length);
        if (index % 3 == 0) mask[0] = zeros(length, dtype: ScalarType.Bool);
        var values = randn([batch, length, options.Features], dtype: float64, generator: generator);
        var junk = randn([batch, length + extra, options.Features], dtype: float64, generator: generator).mul(JunkScale).add(JunkShift, Scalars.One);
        var paddedMask = cat([mask, zeros([batch, extra], dtype: ScalarType.Bool)], 1);
        var paddedValues = where(paddedMask.unsqueeze(-1), cat([values, zeros([batch, extra, options.Features], dtype: float64)], 1), junk);
        var device = Tree.Leaves(point).FirstOrDefault()?.device ?? values.device;
        mask = mask.to(device);
        paddedMask = paddedMask.to(device);
        values = values.to(device);
        paddedValues = paddedValues.to(device);
        var shape = $"batch {batch}, length {length}, {extra} extra padded positions, mask {Rows(mask)}";

        MaskedSequence first, second;
        using (no_grad())
        {
            first = layer(point, values, mask);
            second = layer(point, paddedValues, paddedMask);
        }
        var outLength = first.Values.shape[1];
        var weights = randn(first.Values.shape, dtype: float64, generator: generator).to(device);

        // Output masks: equal where both exist; positions only one run has must be padding.
        var common = Math.Min(outLength, second.Values.shape[1]);
        var maskDifference = first.Mask[.., ..(int)common].ne(second.Mask[.., ..(int)common]);
        var firstOnly = first.Mask[.., (int)common..];
        var secondOnly = second.Mask[.., (int)common..];
        if (First(maskDifference) is var (row, position))
            return new("output mask", index, row, position, $"{shape}: the output mask is {Value(first.Mask[row, position])} without and {Value(second.Mask[row, position])} with changed padding");
        if (First(firstOnly) is var (row2, position2))
            return new("output mask", index, row2, common + position2, $"{shape}: the output is real here, but the padded copy's output is shorter");
        if (First(secondOnly) is var (row3, position3))
            return new("output mask", index, row3, common + position3, $"{shape}: appending padding made this output position real");

        foreach (var (output, name) in new[] { (first.Values, "original"), (second.Values, "padded copy") })
            if (First(NotFinite(output)) is var (row4, position4))
                return new("finite outputs", index, row4, position4, $"{shape}: the {name}'s output is {Numbers(output[row4, position4])}");

        var secondCommon = second.Values[.., ..(int)common];
        var firstCommon = first.Values[.., ..(int)common];
        var far = Exceeds(firstCommon, secondCommon, options).logical_and(first.Mask[.., ..(int)common]);
        if (First(far) is var (row5, position5))
            return new("real outputs", index, row5, position5, $"{shape}: output {Numbers(firstCommon[row5, position5])} became {Numbers(secondCommon[row5, position5])} when padding changed");

        var firstRun = Differentiate(layer, point, values, mask, weights, first.Mask);
        var secondWeights = second.Values.shape[1] > outLength
            ? cat([weights, zeros([batch, second.Values.shape[1] - outLength, .. weights.shape[2..]], dtype: float64, device: device)], 1)
            : weights[.., ..(int)second.Values.shape[1]];
        var secondRun = Differentiate(layer, point, paddedValues, paddedMask, secondWeights, second.Mask);

        var firstLeaves = Tree.Flatten(firstRun);
        var secondLeaves = Tree.Flatten(secondRun);
        foreach (var (leaves, name) in new[] { (firstLeaves, "original"), (secondLeaves, "padded copy") })
            foreach (var leaf in leaves)
                if (!leaf.Value.isfinite().all().item<bool>())
                    return new("finite gradients", index, -1, -1, $"{shape}: the {name}'s gradient '{TreePath.Display(leaf.Path)}' has non-finite elements");

        var parameterLeaves = Tree.Flatten(firstRun.Parameters);
        var parameterLeavesPadded = Tree.Leaves(secondRun.Parameters);
        for (var i = 0; i < parameterLeaves.Count; i++)
        {
            var expected = parameterLeaves[i].Value.reshape(-1);
            var actual = parameterLeavesPadded[i].reshape(-1);
            var bad = (actual - expected).abs().gt(Allowed(expected, options));
            if (bad.any().item<bool>())
            {
                var at = bad.nonzero()[0, 0].item<long>();
                return new("parameter gradients", index, -1, -1,
                    $"{shape}: the gradient of '{TreePath.Display(parameterLeaves[i].Path)}'[{at}] is {Number(expected[at])} without and {Number(actual[at])} with changed padding");
            }
        }

        foreach (var (gradient, inputMask, name) in new[] { (firstRun.Values, mask, "original"), (secondRun.Values, paddedMask, "padded copy") })
        {
            var leaking = gradient.ne(Scalars.Zero).any(-1).logical_and(inputMask.logical_not());
            if (First(leaking) is var (row6, position6))
                return new("padded input gradients", index, row6, position6, $"{shape}: the {name}'s padded input receives the gradient {Numbers(gradient[row6, position6])}");
        }
        return null;
    }

    static Point<TParams> Differentiate<TParams>(Func<TParams, Tensor, Tensor, MaskedSequence> layer, TParams parameters, Tensor values, Tensor mask, Tensor weights, Tensor outputMask) =>
        Autodiff.ValueAndGrad(point =>
        {
            var output = layer(point.Parameters, point.Values, mask);
            var hidden = Masks.Widen(outputMask, output.Values.dim()).logical_not();
            return (output.Values * weights).masked_fill(hidden, Scalars.Zero).sum();
        }, new Point<TParams>(parameters, values)).Gradient;

    /// <summary>How far from <paramref name="expected"/> a value may be: |expected|·relative + absolute tolerance.</summary>
    static Tensor Allowed(Tensor expected, MaskInvarianceOptions options)
    {
        using var relative = options.RelativeTolerance.ToScalar();
        using var absolute = options.AbsoluteTolerance.ToScalar();
        return expected.abs().mul(relative).add(absolute, Scalars.One);
    }

    static readonly Scalar HoleThreshold = 0.6.ToScalar();
    static readonly Scalar JunkScale = 3L.ToScalar();
    static readonly Scalar JunkShift = 5L.ToScalar();

    /// <summary>[batch, length]: true where any element of the position is not within tolerance.</summary>
    static Tensor Exceeds(Tensor expected, Tensor actual, MaskInvarianceOptions options)
    {
        var bad = (actual - expected).abs().gt(Allowed(expected, options))
            .logical_or(actual.isfinite().logical_not());
        return bad.dim() > 2 ? bad.flatten(2).any(2) : bad;
    }

    static Tensor NotFinite(Tensor values)
    {
        var bad = values.isfinite().logical_not();
        return bad.dim() > 2 ? bad.flatten(2).any(2) : bad;
    }

    /// <summary>The first (row, position) where <paramref name="flags"/> [batch, length] is true, in row-major order.</summary>
    static (long Row, long Position)? First(Tensor flags)
    {
        if (flags.numel() == 0 || !flags.any().item<bool>()) return null;
        var at = flags.nonzero();
        return (at[0, 0].item<long>(), at[0, 1].item<long>());
    }

    static long Draw(Generator generator, int low, int high) => randint(low, high + 1, [1], generator: generator).item<long>();

    static string Value(Tensor flag) => flag.item<bool>() ? "real" : "padding";

    static string Number(Tensor scalar) => scalar.to(float64).item<double>().ToString("G6", CultureInfo.InvariantCulture);

    static string Numbers(Tensor values)
    {
        var flat = values.reshape(-1).to(float64).cpu();
        var shown = Enumerable.Range(0, (int)Math.Min(flat.numel(), 6)).Select(i => flat[i].item<double>().ToString("G6", CultureInfo.InvariantCulture));
        return "[" + string.Join(", ", shown) + (flat.numel() > 6 ? ", ..." : "") + "]";
    }

    static string Rows(Tensor mask) =>
        string.Join(" ", Enumerable.Range(0, (int)mask.shape[0]).Select(b =>
            new string(Enumerable.Range(0, (int)mask.shape[1]).Select(t => mask[b, t].item<bool>() ? '1' : '0').ToArray())));

    static void Validate(MaskInvarianceOptions options)
    {
        foreach (var (value, name) in new[] { (options.Cases, "Cases"), (options.MaxBatch, "MaxBatch"), (options.MaxLength, "MaxLength"), (options.Features, "Features"), (options.MaxExtraPadding, "MaxExtraPadding") })
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(options), value, $"MaskInvarianceOptions.{name} must be at least 1, got {value}.");
    }
}
