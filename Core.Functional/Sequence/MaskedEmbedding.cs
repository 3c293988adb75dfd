using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>An <see cref="Embedding"/> of token ids that derives the mask from the pad id.</summary>
public static class MaskedEmbedding
{
    const string Layer = nameof(MaskedEmbedding);

    /// <summary>
    /// The rows of the table for <paramref name="ids"/> [batch, length] (Int64 or Int32), with the mask
    /// <see cref="Masks.FromPadIds"/> (<see cref="Masks.PadId"/> is padding, every other id — <see cref="Masks.UnknownId"/>
    /// included — is real). Values at padded positions are zeros and the row of the pad id receives no gradient from them.
    /// </summary>
    /// <remarks>
    /// Checked before the lookup as <see cref="Embedding.Apply"/> (integer ids on the table's device, all in
    /// [0, vocabulary)), plus rank 2; a violation is a <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static MaskedSequence Apply(EmbeddingParams parameters, Tensor ids)
    {
        InputChecks.Rank(Layer, parameters, ids, 2, "[batch, length] token ids");
        InputChecks.IntegerIds(Layer, parameters, ids);
        var mask = Masks.FromPadIds(ids);
        using var rows = Embedding.Apply(parameters, ids);
        return new MaskedSequence(Masks.ZeroPadding(rows, mask), mask);
    }
}
