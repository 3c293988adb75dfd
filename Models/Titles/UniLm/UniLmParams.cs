using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles.UniLm;

/// <summary>The learned parameters of the UniLM title model (a tree: checkpoints and optimizers see it by paths).</summary>
/// <param name="Embedding">Character embedding [vocabulary, width]: the input of both segments and, tied, the output layer.</param>
/// <param name="Segments">Segment embedding [2, width]: row 0 added to the article's characters, row 1 to "[SEP] title".</param>
/// <param name="Stack">The transformer (pre-norm blocks with rotary positions and a final layer norm) over "article [SEP] title".</param>
/// <param name="CopyQuery">Projects a title position's output to the query of the copy attention over the article's outputs.</param>
/// <param name="CopyGate">From [title output, copy context] to one logit: the probability of writing from the vocabulary (its sigmoid) against copying.</param>
/// <param name="CopyPrior">The copy prior averaged with the tied logits, as the LSTM model's.</param>
public sealed record UniLmParams(
    EmbeddingParams Embedding, EmbeddingParams Segments, TransformerStackParams Stack, LinearParams CopyQuery, LinearParams CopyGate, CopyPriorParams CopyPrior);

/// <summary>Creates UniLM title model parameters.</summary>
public static class UniLmModel
{
    /// <summary>Width of one attention head: the model has <c>max(1, width / 64)</c> heads.</summary>
    public const int HeadWidth = 64;

    /// <summary>The number of attention heads of a model of <paramref name="width"/>: <c>max(1, width / 64)</c>.</summary>
    public static int Heads(int width) => Math.Max(1, width / HeadWidth);

    /// <summary>
    /// Fresh parameters for <paramref name="vocabulary"/> ids shaped by <paramref name="options"/> read as a UniLM:
    /// width <see cref="TitleModelOptions.EmbeddingSize"/>, <see cref="TitleModelOptions.DecoderLayers"/> blocks with
    /// feed-forward width <see cref="TitleModelOptions.OutputHidden"/>, <see cref="Heads"/> heads, residual dropout
    /// <see cref="TitleModelOptions.Dropout"/> (no attention dropout, so the fused kernel runs), rotary positions; float32 on
    /// <paramref name="device"/>, drawn from <paramref name="generator"/> in field order. The copy prior starts at scale 1,
    /// bias 0 and the copy gate at weight 0, bias 0 (an even mixture of writing and copying).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The vocabulary has fewer than 5 ids, an option is out of range, or the head width is odd (rotary needs pairs).</exception>
    public static UniLmParams Init(torch.Generator generator, int vocabulary, TitleModelOptions options, torch.Device device)
    {
        options.Validate();
        if (vocabulary < 5) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "A vocabulary has the 4 reserved ids and at least one character.");
        var width = options.EmbeddingSize;
        var settings = new TransformerBlockSettings(true, Activation.Gelu, options.Dropout, 0);
        return new UniLmParams(
            Embedding.Init(generator, vocabulary, width, device),
            Embedding.Init(generator, 2, width, device),
            TransformerStack.Init(generator, options.DecoderLayers, width, Heads(width), options.OutputHidden, swiGlu: false, RotarySettings.Default, settings, finalNorm: true, device),
            Linear.InitWithoutBias(generator, width, width, device),
            new LinearParams(torch.zeros(1, 2 * width, device: device), torch.zeros(1, device: device)),
            new CopyPriorParams(torch.ones(vocabulary, device: device), torch.zeros(vocabulary, device: device)));
    }
}
