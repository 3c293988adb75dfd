using TorchSharp;

namespace Functional.Core;

/// <summary>
/// The checks layers run on their inputs before any native call, so that a mistake is a
/// <see cref="LayerInputException"/> naming the layer rather than a native error or a silent broadcast.
/// </summary>
public static class InputChecks
{
    /// <summary>
    /// <paramref name="input"/> must have the dtype and device of <paramref name="parameter"/> (a weight of
    /// the layer's record <paramref name="parameters"/>).
    /// </summary>
    public static void SameDtypeAndDevice(string layer, object parameters, torch.Tensor input, torch.Tensor parameter)
    {
        if (input.dtype != parameter.dtype)
            throw new LayerInputException(layer, parameters, $"input of dtype {parameter.dtype} (the layer's)", Shapes.Describe(input));
        if (input.device.type != parameter.device.type || input.device.index != parameter.device.index)
            throw new LayerInputException(layer, parameters, $"input on {parameter.device} (the layer's device)", Shapes.Describe(input));
    }

    /// <summary><paramref name="input"/> must have at least <paramref name="rank"/> dimensions.</summary>
    public static void MinimumRank(string layer, object parameters, torch.Tensor input, int rank, string meaning)
    {
        if (input.dim() < rank)
            throw new LayerInputException(layer, parameters, $"input of rank {rank} or more ({meaning})", Shapes.Describe(input));
    }

    /// <summary><paramref name="input"/> must have exactly <paramref name="rank"/> dimensions.</summary>
    public static void Rank(string layer, object parameters, torch.Tensor input, int rank, string meaning)
    {
        if (input.dim() != rank)
            throw new LayerInputException(layer, parameters, $"input of rank {rank} ({meaning})", Shapes.Describe(input));
    }

    /// <summary>The last dimension of <paramref name="input"/> must be <paramref name="size"/>.</summary>
    public static void LastDimension(string layer, object parameters, torch.Tensor input, long size)
    {
        if (input.dim() == 0 || input.shape[^1] != size)
            throw new LayerInputException(layer, parameters, $"input of shape [..., {size}]", Shapes.Describe(input));
    }
}
