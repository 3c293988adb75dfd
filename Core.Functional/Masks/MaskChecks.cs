using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The checks a sequence layer runs on a mask before any native call, so that a wrong mask is a
/// <see cref="LayerInputException"/> naming the layer rather than a silent broadcast.
/// </summary>
public static class MaskChecks
{
    /// <summary>
    /// <paramref name="mask"/> must be a Bool tensor of shape [batch, length] equal to the first two dimensions of
    /// <paramref name="values"/> (of rank 2 or more) and on its device.
    /// </summary>
    public static void Matches(string layer, object parameters, Tensor values, Tensor mask)
    {
        if (values.dim() < 2)
            throw new LayerInputException(layer, parameters, "values of rank 2 or more ([batch, length, ...])", Shapes.Describe(values));
        var expected = $"mask of dtype Bool and shape [{values.shape[0]}, {values.shape[1]}] on {values.device} (the values' batch and length)";
        if (mask.dtype != ScalarType.Bool || mask.dim() != 2 || mask.shape[0] != values.shape[0] || mask.shape[1] != values.shape[1])
            throw new LayerInputException(layer, parameters, expected, Shapes.Describe(mask));
        if (mask.device.type != values.device.type || mask.device.index != values.device.index)
            throw new LayerInputException(layer, parameters, expected, Shapes.Describe(mask));
    }
}
