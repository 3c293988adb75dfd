using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Sequence;

/// <summary>Tests that read torch's process-wide default generator run alone: any parallel test could draw from it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultGeneratorCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "torch's default generator";
}

/// <summary>
/// No hidden global state: running a masked LSTM or GRU (libtorch's fused kernels, whose native modules are
/// initialised randomly when they are made) leaves a user's seeded stream of torch's default generator as it was.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public sealed class DefaultGeneratorTests
{
    [Theory]
    [InlineData(true, 37)]
    [InlineData(false, 41)]
    public void A_masked_recurrent_layer_leaves_the_default_generator_where_it_was(bool lstm, int hidden)
    {
        // A hidden size no other test uses, so that the fused path makes a new native module here.
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(5);
        var values = torch.randn([3, 6, 4], generator: generator);
        var mask = Masks.FromLengths(torch.tensor(new long[] { 6, 4, 2 }), 6);

        torch.manual_seed(123);
        var expected = torch.randn(16);

        torch.manual_seed(123);
        if (lstm) Lstm.Apply(Lstm.Init(generator, 4, hidden, 1, true, torch.CPU), values, mask);
        else Gru.Apply(Gru.Init(generator, 4, hidden, 1, true, torch.CPU), values, mask);
        var actual = torch.randn(16);

        Assert.True(expected.eq(actual).all().item<bool>(), $"the default generator moved: {expected[0].item<float>()} became {actual[0].item<float>()}");
    }
}
