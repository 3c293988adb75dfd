using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Gradients;

public sealed class AutodiffProperties
{
    public sealed record Affine(torch.Tensor Weight, torch.Tensor Bias);

    public sealed record TwoLayers(Affine First, Affine Second, torch.Tensor? Unused, torch.Tensor Steps);

    static TwoLayers RandomModel(int seed, out torch.Tensor input)
    {
        var random = new Random(seed);
        int batch = random.Next(1, 5), inputs = random.Next(1, 6), hidden = random.Next(1, 6), outputs = random.Next(1, 4);
        using var generator = new torch.Generator((ulong)seed);
        torch.Tensor Normal(params long[] shape) => torch.randn(shape, dtype: torch.float64, generator: generator);
        input = Normal(batch, inputs);
        return new TwoLayers(
            new Affine(Normal(inputs, hidden), Normal(hidden)),
            new Affine(Normal(hidden, outputs), Normal(outputs)),
            random.Next(2) == 0 ? null : Normal(3),
            torch.tensor(new long[] { random.Next(100) }));
    }

    static torch.Tensor Loss(TwoLayers model, torch.Tensor input) =>
        torch.tanh(input.matmul(model.First.Weight).add(model.First.Bias, Scalars.One)).matmul(model.Second.Weight).add(model.Second.Bias, Scalars.One).pow(Scalars.Two).mean();

    [Property(MaxTest = 200)]
    public void Gradient_equals_torch_backward_on_a_copy(int seed)
    {
        var model = RandomModel(seed, out var input);
        var copy = Tree.Map(model, leaf => leaf.is_floating_point() ? leaf.clone().requires_grad_(true) : leaf.clone());

        var result = Autodiff.ValueAndGrad(m => Loss(m, input), model);

        var reference = Loss(copy, input);
        reference.backward();
        Assert.Equal(reference.item<double>(), result.Value.item<double>());
        Assert.True(result.Gradient.First.Weight.allclose(copy.First.Weight.grad!, rtol: 1e-12, atol: 1e-12));
        Assert.True(result.Gradient.First.Bias.allclose(copy.First.Bias.grad!, rtol: 1e-12, atol: 1e-12));
        Assert.True(result.Gradient.Second.Weight.allclose(copy.Second.Weight.grad!, rtol: 1e-12, atol: 1e-12));
        Assert.True(result.Gradient.Second.Bias.allclose(copy.Second.Bias.grad!, rtol: 1e-12, atol: 1e-12));
    }

    [Property(MaxTest = 200)]
    public void Caller_tensors_are_bitwise_unchanged_and_get_no_gradient_state(int seed)
    {
        var model = RandomModel(seed, out var input);
        var before = Tree.Map(model, leaf => leaf.clone());
        var inputBefore = input.clone();

        Autodiff.ValueAndGrad(m => Loss(m, input), model);

        Assert.All(Enumerable.Zip(Tree.Leaves(model), Tree.Leaves(before), Same.Bitwise), Assert.True);
        Assert.True(Same.Bitwise(input, inputBefore));
        Assert.All(Tree.Leaves(model), leaf => Assert.False(leaf.requires_grad));
        Assert.All(Tree.Leaves(model), leaf => Assert.Null(leaf.grad));
    }

    [Property(MaxTest = 100)]
    public void Gradient_tree_has_the_structure_shapes_and_dtypes_of_the_parameters(int seed)
    {
        var model = RandomModel(seed, out var input);

        var gradient = Autodiff.ValueAndGrad(m => Loss(m, input), model).Gradient;

        Tree.CheckSameStructure(model, gradient);
        Assert.Equal(Tree.Leaves(model).Select(l => l.dtype), Tree.Leaves(gradient).Select(l => l.dtype));
        if (model.Unused is not null) Assert.Equal(0.0, gradient.Unused!.abs().sum().item<double>());
        Assert.Equal(0L, gradient.Steps.item<long>());
    }

    [Property(MaxTest = 100)]
    public void Stop_gradient_keeps_the_value_and_blocks_the_gradient(int seed)
    {
        var model = RandomModel(seed, out var input);

        var stopped = Autodiff.ValueAndGrad(m => Loss(Autodiff.StopGradient(m), input), model);
        var plain = Autodiff.ValueAndGrad(m => Loss(m, input), model);

        Assert.Equal(plain.Value.item<double>(), stopped.Value.item<double>());
        Assert.All(Tree.Leaves(stopped.Gradient), g => Assert.Equal(0.0, g.abs().sum().to(torch.float64).item<double>()));
    }

    [Property(MaxTest = 100)]
    public void GradCheck_passes_for_a_correct_gradient(int seed)
    {
        var model = RandomModel(seed, out var input);

        var report = GradCheck.Run(m => Loss(m, input), model, GradCheckOptions.Default);

        Assert.True(report.Passed, report.ToString());
        Assert.True(report.CheckedElements >= Tree.Leaves(model).Where(l => l.is_floating_point()).Sum(l => Math.Min(l.numel(), 64)));
    }

    /// <summary>A function whose backward is wrong on purpose: its value is 2x, its gradient says 3.</summary>
    static torch.Tensor BrokenDouble(torch.Tensor x) => x.detach().mul(Scalars.Two).add((x - x.detach()).mul(Three), Scalars.One);

    static readonly Scalar Three = 3L.ToScalar();

    [Property(MaxTest = 100)]
    public void GradCheck_fails_for_a_broken_backward_and_names_the_leaf(int seed)
    {
        var model = RandomModel(seed, out var input);

        var report = GradCheck.Run(m => Loss(m with { Second = m.Second with { Bias = BrokenDouble(m.Second.Bias) } }, input), model, GradCheckOptions.Default);

        Assert.False(report.Passed);
        Assert.Equal("second/bias", report.Worst!.Path);
        Assert.Contains("second/bias", report.ToString());
    }
}
