using Functional.Core;
namespace Functional.Models.Titles;

/// <summary>The shape of a title model (what is not a learned parameter).</summary>
/// <param name="EmbeddingSize">Width of the character embedding shared by encoder and decoder.</param>
/// <param name="EncoderHidden">Units per direction of the bidirectional encoder LSTM (the memory is twice as wide).</param>
/// <param name="EncoderLayers">Layers of the encoder LSTM.</param>
/// <param name="DecoderHidden">Units of the unidirectional decoder LSTM.</param>
/// <param name="DecoderLayers">Layers of the decoder LSTM.</param>
/// <param name="OutputHidden">Width of the layer between the decoder features and the vocabulary logits.</param>
/// <param name="Dropout">Dropout rate on embeddings and output features while training.</param>
/// <param name="MaxArticleLength">Articles are cut to this many characters.</param>
/// <param name="MaxTitleLength">Titles are cut to this many characters in training; the longest title decoded.</param>
public sealed record TitleModelOptions(
    int EmbeddingSize, int EncoderHidden, int EncoderLayers, int DecoderHidden, int DecoderLayers, int OutputHidden,
    double Dropout, int MaxArticleLength, int MaxTitleLength)
{
    /// <summary>
    /// Embedding 128, a 1-layer bidirectional encoder of 128 per direction, a 1-layer decoder of 128, output layer 128,
    /// dropout 0.2, articles cut to 100 characters (LCSTS part II: median 109, longest 152; the first 100 hold 59% of
    /// the title characters, the whole article 62%), titles up to 40 characters (longest 30). Sized for a 30-minute run
    /// on two cores. With the weight average of <see cref="TitleTrainingOptions.Ema"/> this shape beat the earlier
    /// default (encoder 64 per direction, no dropout) on all 1,000 LCSTS validation pairs (docs/articles/titles.md).
    /// </summary>
    public static TitleModelOptions Default { get; } = new(128, 128, 1, 128, 1, 128, 0.2, 100, 40);

    /// <summary>
    /// The kind of model (<see cref="TitleModelKinds"/>): <c>lstm</c> (the default, and what a file without a kind is) or
    /// <c>unilm</c>, which reads the sizes as: width <see cref="EmbeddingSize"/>, <see cref="DecoderLayers"/> transformer
    /// blocks with feed-forward width <see cref="OutputHidden"/> and <c>max(1, width / 64)</c> heads (the encoder sizes
    /// and <see cref="DecoderHidden"/> are unused).
    /// </summary>
    public string Kind { get; init; } = TitleModelKinds.Lstm;

    /// <summary>Throws unless every size is positive and the dropout rate is in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range; the message names it.</exception>
    public TitleModelOptions Validate()
    {
        foreach (var (name, value) in new[] { (nameof(EmbeddingSize), EmbeddingSize), (nameof(EncoderHidden), EncoderHidden), (nameof(EncoderLayers), EncoderLayers),
                     (nameof(DecoderHidden), DecoderHidden), (nameof(DecoderLayers), DecoderLayers), (nameof(OutputHidden), OutputHidden),
                     (nameof(MaxArticleLength), MaxArticleLength), (nameof(MaxTitleLength), MaxTitleLength) })
            if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
        if (!TitleModelKinds.All.Contains(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"Kind must be one of {string.Join(", ", TitleModelKinds.All)}.");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        return this;
    }
}
