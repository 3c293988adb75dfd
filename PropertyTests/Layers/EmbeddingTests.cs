using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class EmbeddingTests
{
    /// <summary>Random ids in [0, vocabulary) of the given shape.</summary>
    static torch.Tensor Ids(torch.Generator generator, int vocabulary, long[] shape, bool int32) =>
        torch.randint(0, vocabulary, shape, dtype: int32 ? torch.int32 : torch.int64, generator: generator);

    [Property(MaxTest = 200)]
    public void Agrees_with_nn_Embedding_given_the_same_table(Dim vocabulary, Dim dimension, Leading shape, bool int32, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Embedding.Init(generator, vocabulary, dimension, Cpu);
        var ids = Ids(generator, vocabulary, shape.Sizes, int32);
        using var module = torch.nn.Embedding(vocabulary, dimension);
        CopyInto(module.weight, parameters.Weight);

        var expected = module.forward(ids.to(torch.int64));
        Assert.Equal(shape.With(dimension), expected.shape);
        AssertClose(expected, Embedding.Apply(parameters, ids), rtol: 0, atol: 0);
    }

    [Fact]
    public void Init_is_standard_normal_and_reproducible()
    {
        using var scope = torch.NewDisposeScope();
        var weight = Embedding.Init(Rng(3), 200, 100, Cpu).Weight;
        Assert.Equal(new long[] { 200, 100 }, weight.shape);
        Assert.Equal(torch.float32, weight.dtype);
        Assert.False(weight.requires_grad);
        Assert.InRange(weight.mean().item<float>(), -0.03, 0.03);
        Assert.InRange(weight.std().item<float>(), 0.97, 1.03);
        Assert.True(Same.Bitwise(weight, Embedding.Init(Rng(3), 200, 100, Cpu).Weight));
        Assert.Equal(["weight"], Tree.Paths(Embedding.Init(Rng(3), 2, 2, Cpu)));
    }

    [Property(MaxTest = 100)]
    public void Gradient_passes_GradCheck_with_repeated_ids(Dim vocabulary, Dim dimension, Leading shape, bool int32, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Embedding.Init(generator, vocabulary, dimension, Cpu);
        // One more position than the vocabulary has ids, so some id repeats and its gradient is a sum.
        var ids = Ids(generator, vocabulary, shape.With(vocabulary + 1), int32);
        var weights = Normal64(generator, [.. shape.Sizes, vocabulary + 1, dimension]);

        AssertGradCheckPasses(p => (Embedding.Apply(p, ids) * weights).sum(), parameters);
    }

    [Property(MaxTest = 200)]
    public void Apply_and_ValueAndGrad_leave_ids_and_table_unchanged(Dim vocabulary, Dim dimension, Leading shape, bool int32, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Embedding.Init(generator, vocabulary, dimension, Cpu);
        var ids = Ids(generator, vocabulary, shape.Sizes, int32);
        var (parametersBefore, idsBefore) = (Snapshot(parameters), ids.clone());

        Embedding.Apply(parameters, ids);
        AssertUnchanged(parameters, parametersBefore);
        var result = Autodiff.ValueAndGrad(p => Embedding.Apply(p, ids).pow(Scalars.Two).sum(), parameters);
        AssertUnchanged(parameters, parametersBefore);
        Assert.True(Same.Bitwise(idsBefore, ids));
        Tree.CheckSameStructure(parameters, result.Gradient);
    }

    [Property(MaxTest = 200)]
    public void Out_of_range_ids_are_refused_naming_the_smallest_and_largest(Dim vocabulary, Dim dimension, Leading shape, Dim beyond, bool negative, bool int32, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Embedding.Init(generator, vocabulary, dimension, Cpu);
        var ids = Ids(generator, vocabulary, shape.With(2), int32);
        var bad = negative ? -beyond.Value : vocabulary - 1 + beyond;
        var flat = ids.view(-1);
        flat[0] = bad;
        var (minimum, maximum) = (ids.min().to(torch.int64).item<long>(), ids.max().to(torch.int64).item<long>());

        var error = Assert.Throws<LayerInputException>(() => Embedding.Apply(parameters, ids));
        Assert.Equal("Embedding", error.Layer);
        Assert.Contains($"ids in [0, {vocabulary})", error.Message);
        Assert.Contains($"ids from {minimum} to {maximum}", error.Message);
        Assert.Contains(bad.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Property(MaxTest = 100)]
    public void Float_bool_or_foreign_device_ids_are_refused(Dim vocabulary, Dim dimension, Batch batch)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Embedding.Init(Rng(0), vocabulary, dimension, Cpu);
        foreach (var dtype in new[] { torch.float32, torch.float64, torch.@bool, torch.int16 })
        {
            var error = Assert.Throws<LayerInputException>(() => Embedding.Apply(parameters, torch.zeros(batch, dtype: dtype)));
            Assert.Contains("ids of dtype Int64 or Int32", error.Message);
            Assert.Contains($"{dtype}[{batch}]", error.Message);
        }
        var device = Assert.Throws<LayerInputException>(() => Embedding.Apply(parameters, torch.zeros(batch, dtype: torch.int64, device: Meta)));
        Assert.Contains("on meta", device.Message);
    }

    [Fact]
    public void Empty_ids_give_an_empty_result()
    {
        using var scope = torch.NewDisposeScope();
        var result = Embedding.Apply(Embedding.Init(Rng(0), 3, 5, Cpu), torch.zeros(2, 0, dtype: torch.int64));
        Assert.Equal(new long[] { 2, 0, 5 }, result.shape);
    }
}
