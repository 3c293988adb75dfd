using Functional.Core;
using TorchSharp;
using Functional.Models.Text;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Titles;

/// <summary>Tiny seeded title models and data for fast tests.</summary>
public static class TitleTesting
{
    /// <summary>A model small enough that a test step costs milliseconds.</summary>
    public static readonly TitleModelOptions Tiny = new(8, 6, 1, 8, 1, 12, 0, 16, 8);

    /// <summary>A tiny model for <paramref name="vocabulary"/> ids, drawn from <paramref name="seed"/>, with a random copy prior and copy gate (so they matter).</summary>
    public static TitleModelParams Model(int seed, int vocabulary, TitleModelOptions? options = null)
    {
        using var generator = new torch.Generator((ulong)(uint)seed);
        var parameters = TitleModel.Init(generator, vocabulary, options ?? Tiny, torch.CPU);
        using var tenth = 0.1.ToScalar();
        var prior = new CopyPriorParams(torch.rand(vocabulary, generator: generator).mul(Scalars.Two), torch.randn(vocabulary, generator: generator).mul(tenth));
        var gate = new LinearParams(torch.randn(parameters.CopyGate.Weight.shape, generator: generator).mul(Scalars.Half), torch.randn(1, generator: generator));
        Tree.Dispose(parameters.CopyPrior);
        Tree.Dispose(parameters.CopyGate);
        return parameters with { CopyPrior = prior, CopyGate = gate };
    }

    /// <summary>A random id sequence of a length in [<paramref name="min"/>, <paramref name="max"/>] over the characters (ids 4 and up).</summary>
    public static int[] Ids(Random random, int vocabulary, int min, int max) =>
        Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => random.Next(4, vocabulary)).ToArray();

    /// <summary><paramref name="ids"/> with each id replaced by <see cref="CharacterVocabulary.Unknown"/> with probability 1/3 (a fresh array).</summary>
    public static int[] WithUnknowns(Random random, int[] ids) =>
        ids.Select(id => random.Next(3) == 0 ? CharacterVocabulary.Unknown : id).ToArray();
}
