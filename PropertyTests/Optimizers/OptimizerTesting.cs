using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>A small parameter tree: a matrix, a vector and a list of extra tensors.</summary>
public sealed record Net(torch.Tensor Weight, torch.Tensor Bias, IReadOnlyList<torch.Tensor> Extras);

/// <summary>Shared helpers of the optimizer tests: random trees and gradients from a seed, comparisons.</summary>
public static class OptimizerTesting
{
    /// <summary>A random net (1..4 x 1..4 weight, bias, 0..2 extras of 1..5 elements) in <paramref name="dtype"/>.</summary>
    public static Net RandomNet(int seed, torch.ScalarType dtype)
    {
        var random = new Random(seed);
        using var generator = new torch.Generator(unchecked((ulong)(uint)seed));
        long rows = random.Next(1, 5), columns = random.Next(1, 5);
        var extras = Enumerable.Range(0, random.Next(0, 3))
            .Select(_ => torch.randn([random.Next(1, 6)], dtype: dtype, generator: generator)).ToArray();
        return new Net(torch.randn([rows, columns], dtype: dtype, generator: generator), torch.randn([columns], dtype: dtype, generator: generator), extras);
    }

    /// <summary><paramref name="count"/> random gradient trees of <paramref name="net"/>'s structure (standard normal times <paramref name="scale"/>).</summary>
    public static Net[] RandomGradients(Net net, int seed, int count, double scale = 1)
    {
        using var generator = new torch.Generator(unchecked((ulong)(uint)seed) + 7919);
        using var factor = scale.ToScalar();
        return Enumerable.Range(0, count)
            .Select(_ => Tree.Map(net, leaf => torch.randn(leaf.shape, dtype: leaf.dtype, generator: generator).mul(factor))).ToArray();
    }

    /// <summary>Runs <paramref name="transformation"/> over the gradients and returns the parameters after every step.</summary>
    public static List<Net> Trajectory(IGradientTransformation transformation, Net start, IEnumerable<Net> gradients)
    {
        var state = Optimizer.Init(transformation, start);
        var parameters = start;
        var trajectory = new List<Net>();
        foreach (var gradient in gradients)
        {
            var step = Optimizer.Step(transformation, gradient, state, parameters);
            (parameters, state) = (step.Parameters, step.State);
            trajectory.Add(parameters);
        }
        return trajectory;
    }

    /// <summary>Every leaf of both trees bitwise equal.</summary>
    public static void AssertBitwise<T>(T expected, T actual, string what = "")
    {
        var left = Tree.Flatten(expected);
        var right = Tree.Flatten(actual);
        Assert.Equal(left.Select(l => l.Path), right.Select(l => l.Path));
        for (var i = 0; i < left.Count; i++)
            Assert.True(Same.Bitwise(left[i].Value, right[i].Value), $"{what} leaf '{left[i].Path}' differs: {Describe(left[i].Value)} vs {Describe(right[i].Value)}");
    }

    /// <summary>Every element within <c>rtol * |expected| + atol</c>.</summary>
    public static void AssertClose<T>(T expected, T actual, double rtol, double atol, string what = "")
    {
        var left = Tree.Flatten(expected);
        var right = Tree.Flatten(actual);
        Assert.Equal(left.Select(l => l.Path), right.Select(l => l.Path));
        using var relative = rtol.ToScalar();
        using var absolute = atol.ToScalar();
        for (var i = 0; i < left.Count; i++)
        {
            Assert.Equal(left[i].Value.dtype, right[i].Value.dtype);
            using var e = left[i].Value.to(torch.float64);
            using var a = right[i].Value.to(torch.float64);
            using var excess = (a - e).abs() - e.abs().mul(relative).add(absolute, Scalars.One);
            var worst = excess.max().item<double>();
            Assert.True(worst <= 0, $"{what} leaf '{left[i].Path}' differs beyond tolerance by {worst:G4}: {Describe(left[i].Value)} vs {Describe(right[i].Value)}");
        }
    }

    static string Describe(torch.Tensor tensor) =>
        "[" + string.Join(", ", tensor.to(torch.float64).flatten().data<double>().ToArray().Take(6).Select(v => v.ToString("R"))) + "]";
}
