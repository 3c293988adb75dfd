using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using Functional.Core;

namespace Functional.PropertyTests.Layers;

/// <summary>
/// <see cref="SpectralNorm"/> against a hand-written power iteration (TorchSharp has no <c>nn.utils.spectral_norm</c>):
/// PyTorch's algorithm on plain doubles, the weight as the matrix [first dimension, the rest].
/// </summary>
public sealed class SpectralNormTests
{
    /// <summary>A float64 weight of 2 or 3 dimensions (a linear weight, or a convolution's [out, in, kernel]) with sizes 1..6.</summary>
    static torch.Tensor RandomWeight(Random random, torch.Generator generator) =>
        random.Next(2) == 0
            ? torch.randn([random.Next(1, 7), random.Next(1, 7)], dtype: torch.float64, generator: generator)
            : torch.randn([random.Next(1, 7), random.Next(1, 4), random.Next(1, 4)], dtype: torch.float64, generator: generator);

    /// <summary>
    /// A weight of the shape of <see cref="RandomWeight"/> whose largest singular value is at least twice the next one, so
    /// that power iteration converges fast (its error shrinks by (σ₂/σ₁)² per iteration): <c>Q₁ diag(s) Q₂ᵀ</c> with
    /// random orthonormal columns.
    /// </summary>
    static torch.Tensor WeightWithGap(Random random, torch.Generator generator)
    {
        var shape = RandomWeight(random, generator).shape;
        var (rows, columns) = (shape[0], shape.Skip(1).Aggregate(1L, (a, b) => a * b));
        var rank = Math.Min(rows, columns);
        var (left, _) = torch.linalg.qr(torch.randn([rows, rank], dtype: torch.float64, generator: generator));
        var (right, _) = torch.linalg.qr(torch.randn([columns, rank], dtype: torch.float64, generator: generator));
        var rest = Enumerable.Range(1, (int)rank - 1).Select(_ => random.NextDouble()).OrderDescending().ToArray();
        var values = torch.tensor(new[] { 2 * rest.DefaultIfEmpty(0).Max() + 0.1 + random.NextDouble() }.Concat(rest).ToArray(), dtype: torch.float64);
        return left.mul(values).matmul(right.t()).reshape(shape);
    }

    static double[] Values(torch.Tensor t) => t.contiguous().data<double>().ToArray();

    /// <summary>PyTorch's training-mode spectral norm, one power iteration: v = Wᵀu/‖Wᵀu‖, u = Wv/‖Wv‖, σ = u·Wv.</summary>
    static (double[] U, double[] V, double Sigma) Reference(double[] w, int rows, double[] u)
    {
        var columns = w.Length / rows;
        var v = Unit(Enumerable.Range(0, columns).Select(j => Enumerable.Range(0, rows).Sum(i => w[i * columns + j] * u[i])).ToArray());
        var wv = Enumerable.Range(0, rows).Select(i => Enumerable.Range(0, columns).Sum(j => w[i * columns + j] * v[j])).ToArray();
        var next = Unit(wv);
        return (next, v, next.Zip(wv, (a, b) => a * b).Sum());
    }

    static double[] Unit(double[] x)
    {
        var norm = Math.Max(Math.Sqrt(x.Sum(e => e * e)), SpectralNorm.Epsilon);
        return x.Select(e => e / norm).ToArray();
    }

    static void Close(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-10 * (1 + Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Property(MaxTest = 100)]
    public void Training_steps_agree_with_the_reference_power_iteration_for_linear_and_convolution_weights(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        using var generator = new torch.Generator((ulong)(uint)seed);
        var state = SpectralNorm.Init(generator, RandomWeight(random, generator), iterations: random.Next(0, 3));
        var u = Values(state.U);
        for (var step = 0; step < 4; step++)
        {
            // A weight that changes from step to step, as in training, of the (matrix) shape the vectors were made for.
            var weight = torch.randn([state.U.shape[0], state.V.shape[0]], dtype: torch.float64, generator: generator);
            var expected = Reference(Values(weight), (int)weight.shape[0], u);

            var result = SpectralNorm.Apply(weight, state, training: true);

            Close(expected.U, Values(result.State.U), "u");
            Close(expected.V, Values(result.State.V), "v");
            Close(Values(weight).Select(x => x / expected.Sigma).ToArray(), Values(result.Weight), "W / σ");
            (state, u) = (result.State, expected.U);
        }
    }

    [Property(MaxTest = 100)]
    public void A_convolution_weight_is_normalised_as_its_matrix_of_outputs_against_the_rest(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        using var generator = new torch.Generator((ulong)(uint)seed);
        var weight = torch.randn([random.Next(1, 5), random.Next(1, 4), random.Next(1, 4)], dtype: torch.float64, generator: generator);
        var state = SpectralNorm.Init(generator, weight, iterations: 2);
        var matrix = weight.reshape(weight.shape[0], -1);

        var convolution = SpectralNorm.Apply(weight, state, training: true);
        var flat = SpectralNorm.Apply(matrix, state, training: true);

        Assert.Equal(weight.shape, convolution.Weight.shape);
        Assert.True(Same.Bitwise(flat.Weight, convolution.Weight.reshape(weight.shape[0], -1)));
        Assert.True(Same.Bitwise(flat.State.U, convolution.State.U) && Same.Bitwise(flat.State.V, convolution.State.V));
    }

    [Property(MaxTest = 100)]
    public void The_estimate_never_exceeds_the_largest_singular_value_and_the_result_has_spectral_norm_one(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        using var generator = new torch.Generator((ulong)(uint)seed);
        var weight = WeightWithGap(random, generator);
        var largest = torch.linalg.svdvals(weight.reshape(weight.shape[0], -1))[0].item<double>();

        var state = SpectralNorm.Init(generator, weight, iterations: 1);
        var early = SpectralNorm.Sigma(weight, state).item<double>();
        for (var i = 0; i < 300; i++) state = SpectralNorm.Apply(weight, state, training: true).State;
        var late = SpectralNorm.Sigma(weight, state).item<double>();
        var normalised = SpectralNorm.Apply(weight, state, training: false).Weight;

        Assert.True(early <= largest * (1 + 1e-12), $"estimate {early} above σ₁ {largest}");
        Assert.True(Math.Abs(late - largest) <= 1e-6 * largest, $"after 300 iterations {late}, σ₁ {largest}");
        var norm = torch.linalg.svdvals(normalised.reshape(weight.shape[0], -1))[0].item<double>();
        Assert.True(Math.Abs(norm - 1) <= 1e-6, $"normalised weight has spectral norm {norm}");
        Assert.Equal(1.0, state.U.norm().item<double>(), 12);
        Assert.Equal(1.0, state.V.norm().item<double>(), 12);
    }

    [Property(MaxTest = 50)]
    public void Evaluation_uses_the_vectors_as_given_and_returns_them_unchanged(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        using var generator = new torch.Generator((ulong)(uint)seed);
        var weight = RandomWeight(random, generator);
        var state = SpectralNorm.Init(generator, weight, iterations: 3);
        var (u, v) = (state.U.clone(), state.V.clone());

        var result = SpectralNorm.Apply(weight, state, training: false);

        Assert.True(Same.Bitwise(u, result.State.U) && Same.Bitwise(v, result.State.V));
        Assert.False(ReferenceEquals(state.U, result.State.U) || ReferenceEquals(state.V, result.State.V));
        var sigma = u.dot(weight.reshape(weight.shape[0], -1).mv(v));
        Assert.True(Same.Bitwise(weight.div(sigma), result.Weight));
        Assert.True(Same.Bitwise(u, state.U) && Same.Bitwise(v, state.V));
    }

    [Fact]
    public void The_gradient_flows_into_the_weight_only_and_the_vectors_are_untouched()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(3);
        var weight = torch.randn([3, 4], generator: generator);
        var state = SpectralNorm.Init(generator, weight, 5);
        var (u, v) = (state.U.clone(), state.V.clone());
        var nextNeedsGradient = true;

        var gradient = Autodiff.ValueAndGrad(w =>
        {
            var result = SpectralNorm.Apply(w, state, training: true);
            nextNeedsGradient = result.State.U.requires_grad || result.State.V.requires_grad;
            return result.Weight.sum();
        }, weight).Gradient;

        Assert.True(gradient.abs().sum().item<float>() > 0);
        Assert.False(state.U.requires_grad || state.V.requires_grad);
        Assert.False(nextNeedsGradient);
        Assert.True(Same.Bitwise(u, state.U) && Same.Bitwise(v, state.V));
    }

    [Fact]
    public void Vectors_that_do_not_fit_the_weight_are_refused_with_both_shapes()
    {
        using var scope = torch.NewDisposeScope();

        var error = Assert.Throws<LayerInputException>(() => SpectralNorm.Apply(torch.ones(3, 4), new SpectralNormState(torch.ones(4), torch.ones(4)), training: true));

        Assert.Contains("[3, 4]", error.Message);
        Assert.Contains("u Float32[4]", error.Message);
    }
}
