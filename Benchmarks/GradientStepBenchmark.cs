using BenchmarkDotNet.Attributes;
using Functional.Core;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace Functional.Benchmarks;

/// <summary>
/// The cost of the functional style: one forward and backward pass of the same two-layer network, as pure
/// layers through <see cref="Autodiff.ValueAndGrad{TParams}"/> versus TorchSharp's own <c>nn</c> modules with
/// <c>backward()</c> (the baseline), same weights, same batch.
/// </summary>
[MemoryDiagnoser]
public class GradientStepBenchmark
{
    /// <summary>Features in, hidden and out.</summary>
    [Params(64, 512)]
    public int Width { get; set; }

    FeedForwardParams parameters = null!;
    TorchSharp.Modules.Sequential module = null!;
    torch.Tensor input = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var generator = new torch.Generator(1);
        parameters = FeedForward.Init(generator, Width, Width, Width, Activation.Relu, torch.CPU);
        var inner = Linear(Width, Width);
        var outer = Linear(Width, Width);
        using (torch.no_grad())
        {
            inner.weight!.copy_(parameters.Inner.Weight);
            inner.bias!.copy_(parameters.Inner.Bias!);
            outer.weight!.copy_(parameters.Outer.Weight);
            outer.bias!.copy_(parameters.Outer.Bias!);
        }
        module = Sequential(inner, ReLU(), outer);
        input = torch.randn(128, Width, generator: generator);
    }

    [Benchmark(Baseline = true, Description = "TorchSharp nn + backward()")]
    public float TorchSharpModule()
    {
        using var scope = torch.NewDisposeScope();
        module.zero_grad();
        var loss = module.forward(input).pow(Scalars.Two).mean();
        loss.backward();
        return loss.item<float>();
    }

    [Benchmark(Description = "pure layers + ValueAndGrad")]
    public float PureLayers()
    {
        using var scope = torch.NewDisposeScope();
        var result = Autodiff.ValueAndGrad(p => FeedForward.Apply(p, input).pow(Scalars.Two).mean(), parameters);
        return result.Value.item<float>();
    }
}
