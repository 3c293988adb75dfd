using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>Rotary embeddings: scores depend only on the position difference; the two layouts are one rotation.</summary>
[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class RotaryTests
{
    static RotarySettings Layout(bool interleaved) => RotarySettings.Default with { Layout = interleaved ? RotaryLayout.Interleaved : RotaryLayout.HalfSplit };

    static torch.Tensor At(torch.Tensor x, long position, RotarySettings settings) =>
        Rotary.Apply(x, torch.tensor(Enumerable.Repeat(position, (int)(x.shape[0] * x.shape[2])).ToArray()).reshape(x.shape[0], x.shape[2]), settings);

    /// <summary>q at m and k at n give the same score as q at m + s and k at n + s, for any shift s (float64, 1e-9).</summary>
    [Property(MaxTest = 200)]
    public void Scores_depend_only_on_the_position_difference(Dim half, int m, int n, int shift, bool interleaved, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var settings = Layout(interleaved);
        var (pm, pn, s) = (Math.Abs(m % 500), Math.Abs(n % 500), Math.Abs(shift % 500));
        var q = Normal64(generator, 1, 1, 1, 2 * half);
        var k = Normal64(generator, 1, 1, 1, 2 * half);
        var score = At(q, pm, settings).mul(At(k, pn, settings)).sum();
        var shifted = At(q, pm + s, settings).mul(At(k, pn + s, settings)).sum();
        AssertClose(score, shifted, rtol: 1e-9, atol: 1e-9);
    }

    /// <summary>A rotation: norms are kept, position 0 is the identity, and the interleaved layout is the half-split one on permuted features.</summary>
    [Property(MaxTest = 100)]
    public void Rotary_is_a_rotation_and_the_layouts_are_one_permutation_apart(Batch batch, Dim length, Dim half, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var x = Normal64(generator, batch, 2, length, 2 * half);
        var positions = torch.randint(0, 1000, [batch, length], generator: generator);
        var rotated = Rotary.Apply(x, positions, RotarySettings.Default);
        AssertClose(x.norm(-1), rotated.norm(-1), rtol: 1e-9, atol: 1e-9);
        AssertClose(x, Rotary.Apply(x, torch.zeros([batch, length], dtype: torch.int64), RotarySettings.Default), rtol: 0, atol: 0);
        // Interleaved pairs (2i, 2i+1) are half-split pairs (i, i + d/2) after putting evens first and odds second.
        var order = torch.tensor(Enumerable.Range(0, half).Select(i => 2L * i).Concat(Enumerable.Range(0, half).Select(i => 2L * i + 1)).ToArray());
        var interleaved = Rotary.Apply(x, positions, Layout(true));
        AssertClose(interleaved.index_select(3, order), Rotary.Apply(x.index_select(3, order), positions, RotarySettings.Default), rtol: 1e-12, atol: 1e-12);
    }

    [Fact]
    public void Rotary_refuses_odd_widths_and_positions_of_another_shape()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => Rotary.Apply(torch.zeros(1, 1, 2, 3), torch.zeros([1, 2], dtype: torch.int64), RotarySettings.Default));
        var error = Assert.Throws<ArgumentException>(() => Rotary.Apply(torch.zeros(1, 1, 2, 4), torch.zeros([1, 3], dtype: torch.int64), RotarySettings.Default));
        Assert.Contains("[1, 2]", error.Message);
        Assert.Contains("[1, 3]", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TransformerAttention.Init(Rng(0), 6, 2, RotarySettings.Default, Cpu));
    }
}
