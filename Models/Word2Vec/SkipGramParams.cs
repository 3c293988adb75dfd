using Functional.Core;
using TorchSharp;

namespace Functional.Models.Word2Vec;

/// <summary>The two embedding tables of skip-gram: a word's vector as a centre and as a context.</summary>
/// <param name="Input">[vocabulary, dimension]: the word vectors that are kept.</param>
/// <param name="Output">[vocabulary, dimension]: the context vectors the centres are scored against.</param>
public sealed record SkipGramParams(torch.Tensor Input, torch.Tensor Output)
{
    /// <summary>
    /// word2vec's initialisation: input vectors uniform in ±0.5/dimension from <paramref name="generator"/>, output
    /// vectors zero. float32 on the CPU.
    /// </summary>
    public static SkipGramParams Init(torch.Generator generator, int vocabulary, int dimension)
    {
        using var dimensionScalar = dimension.ToScalar();
        return new(torch.rand([vocabulary, dimension], generator: generator).sub_(Scalars.Half).div_(dimensionScalar),
            torch.zeros(vocabulary, dimension));
    }
}

/// <summary>
/// A batch of skip-gram examples with negative sampling: each centre word is scored against its context word
/// (label 1) and against sampled negatives (label 0).
/// </summary>
/// <param name="Centres">int64 [batch]: centre word ids.</param>
/// <param name="Targets">int64 [batch, 1 + negatives]: the context word id, then the negative ids.</param>
public sealed record SkipGramBatch(torch.Tensor Centres, torch.Tensor Targets);
