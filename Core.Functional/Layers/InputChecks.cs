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
        SameDevice(layer, parameters, input, parameter);
    }

    /// <summary>
    /// <paramref name="input"/> must be on the device of <paramref name="parameter"/>, whatever its dtype (used
    /// where the input is not of the weights' dtype, like the integer ids of an embedding).
    /// </summary>
    public static void SameDevice(string layer, object parameters, torch.Tensor input, torch.Tensor parameter)
    {
        if (input.device.type != parameter.device.type || input.device.index != parameter.device.index)
            throw new LayerInputException(layer, parameters, $"input on {parameter.device} (the layer's device)", Shapes.Describe(input));
    }

    /// <summary><paramref name="ids"/> must be an index tensor: dtype <c>Int64</c> or <c>Int32</c>.</summary>
    public static void IntegerIds(string layer, object parameters, torch.Tensor ids)
    {
        if (ids.dtype != torch.int64 && ids.dtype != torch.int32)
            throw new LayerInputException(layer, parameters, "ids of dtype Int64 or Int32", Shapes.Describe(ids));
    }

    /// <summary>
    /// Every element of <paramref name="ids"/> (an integer tensor) must lie in [0, <paramref name="count"/>); the
    /// message names the smallest and largest id given. Reads the minimum and maximum back to the host, so it
    /// synchronises with the device. An empty tensor passes.
    /// </summary>
    public static void IdsInRange(string layer, object parameters, torch.Tensor ids, long count)
    {
        if (ids.numel() == 0) return;
        var minimum = ReadLong(ids.min());
        var maximum = ReadLong(ids.max());
        if (minimum < 0 || maximum >= count)
            throw new LayerInputException(layer, parameters, $"ids in [0, {count})", $"{Shapes.Describe(ids)} with ids from {minimum} to {maximum}");
    }

    /// <summary>
    /// Dimension <paramref name="dimension"/> of <paramref name="input"/> (whose rank is already checked) must be at
    /// least <paramref name="minimum"/>; <paramref name="expectedShape"/> describes the whole expected shape for the message.
    /// </summary>
    public static void MinimumSize(string layer, object parameters, torch.Tensor input, int dimension, long minimum, string expectedShape)
    {
        if (input.shape[dimension] < minimum)
            throw new LayerInputException(layer, parameters, $"input of shape {expectedShape}", Shapes.Describe(input));
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

    static long ReadLong(torch.Tensor scalar)
    {
        using (scalar)
        using (var wide = scalar.to(torch.int64))
            return wide.item<long>();
    }
}
