using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The parameters of a lookup table of vectors, one row per id.</summary>
/// <param name="Weight">[vocabulary, dimension].</param>
public sealed record EmbeddingParams(Tensor Weight);

/// <summary>Maps integer ids to rows of a learned table.</summary>
public static class Embedding
{
    const string Layer = nameof(Embedding);

    /// <summary>
    /// A table of <paramref name="vocabulary"/> vectors of <paramref name="dimension"/> features, float32 on
    /// <paramref name="device"/>, drawn from N(0, 1) with <paramref name="generator"/> as PyTorch's <c>nn.Embedding</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabulary"/> or <paramref name="dimension"/> is below 1.</exception>
    public static EmbeddingParams Init(Generator generator, int vocabulary, int dimension, Device device)
    {
        Initializers.Positive(vocabulary, nameof(vocabulary));
        Initializers.Positive(dimension, nameof(dimension));
        return new(Initializers.Normal(generator, [vocabulary, dimension], device));
    }

    /// <summary>
    /// The rows of the table for <paramref name="ids"/> of any shape [...], giving [..., dimension] in the
    /// table's dtype. The gradient flows to the rows used (summed over repeated ids).
    /// </summary>
    /// <remarks>
    /// Checked before the lookup: ids are Int64 or Int32 (float ids are refused, not rounded), on the table's
    /// device, and all in [0, vocabulary) — an id out of range is a <see cref="LayerInputException"/> naming the
    /// smallest and largest id given (this reads them back to the host). Pure: returns a fresh tensor and neither
    /// mutates nor disposes <paramref name="ids"/> or <paramref name="parameters"/>.
    /// </remarks>
    public static Tensor Apply(EmbeddingParams parameters, Tensor ids)
    {
        InputChecks.IntegerIds(Layer, parameters, ids);
        InputChecks.SameDevice(Layer, parameters, ids, parameters.Weight);
        InputChecks.IdsInRange(Layer, parameters, ids, parameters.Weight.shape[0]);
        using var flat = ids.reshape(-1);
        using var rows = parameters.Weight.index_select(0, flat);
        return rows.reshape([.. ids.shape, parameters.Weight.shape[1]]);
    }
}
