using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>The copy prior: a per-character scale and bias applied to the 0/1 vector of the characters present in the article.</summary>
/// <param name="Scale">[vocabulary].</param>
/// <param name="Bias">[vocabulary].</param>
public sealed record CopyPriorParams(torch.Tensor Scale, torch.Tensor Bias);

/// <summary>The learned parameters of the title model (a tree: checkpoints and optimizers see it by paths).</summary>
/// <param name="Embedding">Character embedding [vocabulary, embedding], shared by encoder and decoder.</param>
/// <param name="Encoder">Bidirectional encoder LSTM over the article.</param>
/// <param name="Decoder">Unidirectional decoder LSTM over the title so far.</param>
/// <param name="AttentionQuery">Projects decoder states to the memory width for scaled dot-product attention.</param>
/// <param name="Hidden">From [decoder state, attention context, article summary] to the output features.</param>
/// <param name="Output">From the output features to vocabulary logits.</param>
/// <param name="CopyPrior">The copy prior averaged with the logits.</param>
/// <param name="CopyGate">
/// From the same features as <paramref name="Hidden"/> to one logit: the probability of writing from the vocabulary
/// (its sigmoid) against copying an article character by attention (pointer-generator).
/// </param>
public sealed record TitleModelParams(
    EmbeddingParams Embedding, LstmParams Encoder, LstmParams Decoder, LinearParams AttentionQuery, LinearParams Hidden,
    LinearParams Output, CopyPriorParams CopyPrior, LinearParams CopyGate);

/// <summary>Creates title model parameters.</summary>
public static class TitleModel
{
    /// <summary>
    /// Fresh parameters for <paramref name="vocabulary"/> ids shaped by <paramref name="options"/>, float32 on
    /// <paramref name="device"/>, drawn from <paramref name="generator"/> in field order; the copy prior starts at
    /// scale 1 and bias 0, the copy gate at weight 0 and bias 0 (an even mixture of writing and copying).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The vocabulary has fewer than 5 ids or an option is out of range.</exception>
    public static TitleModelParams Init(torch.Generator generator, int vocabulary, TitleModelOptions options, torch.Device device)
    {
        options.Validate();
        if (vocabulary < 5) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "A vocabulary has the 4 reserved ids and at least one character.");
        var memory = 2 * options.EncoderHidden;
        return new TitleModelParams(
            Embedding.Init(generator, vocabulary, options.EmbeddingSize, device),
            Lstm.Init(generator, options.EmbeddingSize, options.EncoderHidden, options.EncoderLayers, bidirectional: true, device),
            Lstm.Init(generator, options.EmbeddingSize, options.DecoderHidden, options.DecoderLayers, bidirectional: false, device),
            Linear.InitWithoutBias(generator, options.DecoderHidden, memory, device),
            Linear.Init(generator, options.DecoderHidden + 2 * memory, options.OutputHidden, device),
            Linear.Init(generator, options.OutputHidden, vocabulary, device),
            new CopyPriorParams(torch.ones(vocabulary, device: device), torch.zeros(vocabulary, device: device)),
            new LinearParams(torch.zeros(1, options.DecoderHidden + 2 * memory, device: device), torch.zeros(1, device: device)));
    }
}
