using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Layers;

/// <summary>A feature, channel or vocabulary size in 1..6.</summary>
public readonly record struct Dim(int Value)
{
    public static implicit operator int(Dim dim) => dim.Value;
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A batch size in 1..4.</summary>
public readonly record struct Batch(int Value)
{
    public static implicit operator int(Batch batch) => batch.Value;
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The leading dimensions of an input: 0 to 2 sizes in 1..4 (so inputs of rank 1 to 3 with the feature dimension).</summary>
public sealed record Leading(long[] Sizes)
{
    public long[] With(long last) => [.. Sizes, last];
    public override string ToString() => Shapes.Format(Sizes);
}

/// <summary>A dropout rate in {0, 0.01, ..., 0.95}.</summary>
public readonly record struct Rate(double Value)
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The generators of the layer properties: small sizes (so hundreds of cases run in seconds), shrinking towards the smallest.</summary>
public static class SmallSizes
{
    public static Arbitrary<Dim> Dims() => Range(1, 6, v => new Dim(v), d => d.Value);

    public static Arbitrary<Batch> Batches() => Range(1, 4, v => new Batch(v), b => b.Value);

    public static Arbitrary<Rate> Rates() => Range(0, 95, v => new Rate(v / 100.0), r => (int)Math.Round(r.Value * 100));

    public static Arbitrary<Activation> Activations() => Arb.From(Gen.Elements(Enum.GetValues<Activation>()));

    public static Arbitrary<Leading> Leadings() =>
        Arb.From(
            Gen.Choose(0, 2).SelectMany(rank => Gen.ArrayOf(Gen.Choose(1, 4), rank)).Select(sizes => new Leading(sizes.Select(s => (long)s).ToArray())),
            l => Enumerable.Range(0, l.Sizes.Length).Select(drop => new Leading(l.Sizes.Where((_, i) => i != drop).ToArray())));

    static Arbitrary<T> Range<T>(int low, int high, Func<int, T> make, Func<T, int> value) =>
        Arb.From(Gen.Choose(low, high).Select(make), t => Enumerable.Range(low, value(t) - low).Select(make));
}

/// <summary>Shared helpers: seeded draws, snapshots, comparisons.</summary>
public static class LayerTesting
{
    public static readonly torch.Device Cpu = torch.CPU;

    public static torch.Device Meta { get; } = new("meta");

    /// <summary>A CPU generator seeded from a generated int.</summary>
    public static torch.Generator Rng(int seed) => new(unchecked((ulong)(uint)seed), torch.CPU);

    /// <summary>Standard normal float32 values.</summary>
    public static torch.Tensor Normal(torch.Generator generator, params long[] shape) =>
        torch.randn(shape, dtype: torch.float32, generator: generator);

    /// <summary>Standard normal float64 values (fixed loss weights for GradCheck).</summary>
    public static torch.Tensor Normal64(torch.Generator generator, params long[] shape) =>
        torch.randn(shape, dtype: torch.float64, generator: generator);

    /// <summary>Clones of every leaf of <paramref name="tree"/>.</summary>
    public static torch.Tensor[] Snapshot<T>(T tree) => Tree.Leaves(tree).Select(leaf => leaf.clone()).ToArray();

    /// <summary>Every leaf equals its snapshot bitwise (same dtype, shape, values), and none requires grad or has a grad.</summary>
    public static void AssertUnchanged<T>(T tree, torch.Tensor[] snapshot)
    {
        var leaves = Tree.Leaves(tree);
        Assert.Equal(snapshot.Length, leaves.Count);
        for (var i = 0; i < leaves.Count; i++)
        {
            Assert.True(Same.Bitwise(snapshot[i], leaves[i]), $"leaf {i} changed");
            Assert.False(leaves[i].requires_grad, $"leaf {i} requires grad");
            Assert.True(leaves[i].grad is null, $"leaf {i} has a grad");
        }
    }

    /// <summary>Same shape and dtype, and values within <c>atol + rtol·|expected|</c>.</summary>
    public static void AssertClose(torch.Tensor expected, torch.Tensor actual, double rtol = 1e-5, double atol = 1e-6)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(expected.dtype, actual.dtype);
        if (actual.allclose(expected, rtol, atol)) return;
        var difference = (actual.to(torch.float64) - expected.to(torch.float64)).abs().max().item<double>();
        Assert.Fail($"values differ by up to {difference:G4} (atol {atol}, rtol {rtol})");
    }

    /// <summary>GradCheck with the default options passes (the report is the failure message).</summary>
    public static void AssertGradCheckPasses<T>(Func<T, torch.Tensor> loss, T parameters)
    {
        var report = GradCheck.Run(loss, parameters, GradCheckOptions.Default);
        Assert.True(report.Passed, report.ToString());
        Assert.True(report.CheckedElements > 0, "nothing was checked");
    }

    /// <summary>
    /// Whether finite differences of step 1e-6 are meaningful for <paramref name="activation"/> at these
    /// pre-activations: false when ReLU or leaky ReLU has an input within 1e-3 of its kink at 0, where the numeric
    /// derivative is a blend of the two slopes (a property of the check, not a bug of the layer). Cases that are too
    /// close are skipped; with normal inputs that is a few percent of the ReLU cases.
    /// </summary>
    public static bool AwayFromKinks(Activation activation, torch.Tensor preActivation) =>
        activation is not (Activation.Relu or Activation.LeakyRelu) || preActivation.numel() == 0
        || preActivation.abs().min().to(torch.float64).item<double>() >= 1e-3;

    /// <summary>Copies <paramref name="source"/> into a module's parameter, outside autograd.</summary>
    public static void CopyInto(torch.Tensor? target, torch.Tensor source)
    {
        Assert.NotNull(target);
        using (torch.no_grad()) target.copy_(source);
    }
}
