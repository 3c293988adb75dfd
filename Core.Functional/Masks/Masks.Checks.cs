using static TorchSharp.torch;

namespace Functional.Core;

// Masks: the argument checks the functions run first; each failure is an ArgumentException naming the function.
// (A sequence layer checks its mask with MaskChecks.Matches instead, which throws a LayerInputException naming the layer.)
public static partial class Masks
{
    static bool Broadcasts(long[] from, long[] to)
    {
        if (from.Length > to.Length) return false;
        for (var i = 1; i <= from.Length; i++)
            if (from[^i] != 1 && from[^i] != to[^i]) return false;
        return true;
    }

    static void CheckMask(string function, Tensor mask)
    {
        if (mask.dtype != ScalarType.Bool || mask.dim() != 2)
            throw new ArgumentException($"Masks.{function} needs a Bool mask [batch, length], got {Shapes.Describe(mask)}.", nameof(mask));
    }

    static void CheckShapes(string function, Tensor values, Tensor mask)
    {
        CheckMask(function, mask);
        if (values.dim() < 2 || values.shape[0] != mask.shape[0] || values.shape[1] != mask.shape[1]
            || values.device.type != mask.device.type || values.device.index != mask.device.index)
            throw new ArgumentException($"Masks.{function} needs values [batch, length, ...] matching the mask {Shapes.Describe(mask)}, got {Shapes.Describe(values)}.", nameof(values));
    }

    static void Check(string function, Tensor values, Tensor mask)
    {
        CheckShapes(function, values, mask);
        if (!values.is_floating_point())
            throw new ArgumentException($"Masks.{function} needs floating-point values, got {Shapes.Describe(values)}.", nameof(values));
    }

    static void CheckClassification(string function, Tensor logits, Tensor targets, Tensor mask)
    {
        Check(function, logits, mask);
        if (logits.dim() != 3)
            throw new ArgumentException($"Masks.{function} needs logits [batch, length, classes], got {Shapes.Describe(logits)}.", nameof(logits));
        if ((targets.dtype != ScalarType.Int64 && targets.dtype != ScalarType.Int32) || !targets.shape.SequenceEqual(mask.shape))
            throw new ArgumentException($"Masks.{function} needs Int64 or Int32 targets of the mask's shape {Shapes.Format(mask.shape)}, got {Shapes.Describe(targets)}.", nameof(targets));
        using var wide = targets.to(ScalarType.Int64);
        using var real = wide.masked_select(mask);
        if (real.numel() == 0) return;
        using var smallest = real.min();
        using var largest = real.max();
        long low = smallest.item<long>(), high = largest.item<long>();
        if (low < 0 || high >= logits.shape[2])
            throw new ArgumentException($"Masks.{function} needs real targets in [0, {logits.shape[2]}), got {low} to {high}.", nameof(targets));
    }
}
