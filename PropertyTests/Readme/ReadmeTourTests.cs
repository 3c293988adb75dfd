using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Readme;

/// <summary>The C# tour of docs/articles/tour.md (and its optimizer pipeline, also in docs/articles/optimizers.md), line for line, so that it stays true.</summary>
public sealed class ReadmeTourTests
{
    // A model is a record of layer records; its tree paths come from the field names.
    public sealed record Regressor(FeedForwardParams Body, LinearParams Head);

    [Fact]
    public void The_csharp_tour_trains_and_its_gradient_checks()
    {
        using var generator = new torch.Generator(42);
        var model = new Regressor(
            FeedForward.Init(generator, inputs: 3, hidden: 16, outputs: 16, Activation.Gelu, torch.CPU),
            Linear.Init(generator, 16, 1, torch.CPU));

        var paths = Tree.Paths(model);   // body/inner/weight, body/inner/bias, body/outer/weight, body/outer/bias, head/weight, head/bias
        Assert.Equal(["body/inner/weight", "body/inner/bias", "body/outer/weight", "body/outer/bias", "head/weight", "head/bias"], paths);

        torch.Tensor Loss(Regressor m, torch.Tensor x, torch.Tensor y) =>
            (Linear.Apply(m.Head, FeedForward.Apply(m.Body, x)) - y).pow(Scalars.Two).mean();

        var x = torch.randn(64, 3, generator: generator);
        var y = x.sum(1, keepdim: true).sin();
        var before = Loss(model, x, y).item<float>();
        using var rate = 0.05.ToScalar();   // a Scalar held across the native calls that read it (see Scalars)
        for (var step = 0; step < 300; step++)
        {
            // One dispose scope per step: only the new parameters leave it.
            var next = Memory.Scoped(() =>
            {
                var (loss, gradient) = Autodiff.ValueAndGrad(m => Loss(m, x, y), model);
                return Tree.Zip(model, gradient, (p, g) => p - rate * g);
            });
            Tree.Dispose(model);
            model = next;
        }
        Assert.True(Loss(model, x, y).item<float>() < before / 2, $"loss {before} -> {Loss(model, x, y).item<float>()}");

        // Is the gradient of my own layer right? Central differences in float64, worst element reported.
        var report = GradCheck.Run(m => Loss(m, x.to(torch.float64), y.to(torch.float64)), model, GradCheckOptions.Default);
        Assert.True(report.Passed, report.ToString());

        var error = Assert.Throws<LayerInputException>(() => Autodiff.ValueAndGrad(m => Loss(m, torch.randn(64, 5), y), model));
        Assert.Equal("Linear at 'body/inner': expected input of shape [..., 3], got Float32[64, 5] on cpu.", error.Message);

        var pipeline = new Accumulate(new Chain(                                                          // 4 micro-batches, 1 update
            new ClipByGlobalNorm(1.0),
            Optimizer.Adam(1e-3),
            new PathMultipliers([new PathRule("body/**", 0.1), PathRule.Freeze("head/bias")]),  // per-layer rates, freezing (after Adam's scaling)
            new ParameterEma(0.999, BiasCorrection: true)), 4);                                  // Polyak average in the state, on real updates
        var state = Optimizer.Init(pipeline, model);
        var headBias = model.Head.Bias!.clone();
        for (var step = 0; step < 8; step++)
        {
            var (_, gradient) = Autodiff.ValueAndGrad(m => Loss(m, x, y), model);
            (model, state) = Optimizer.Step(pipeline, gradient, state, model);
        }
        var averaged = ParameterEma.Average(state, model);   // evaluate with the EMA weights: no swapping

        Assert.True(Same.Bitwise(headBias, model.Head.Bias!));
        Assert.Equal(Tree.Paths(model), Tree.Paths(averaged));
    }
}
