using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.NativeMemory;

/// <summary>Tests that count live native tensors run alone: parallel tests would change the count.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeMemoryCollection
{
    public const string Name = "native memory";
}

[Collection(NativeMemoryCollection.Name)]
public sealed class MemoryTests
{
    public sealed record Affine(torch.Tensor Weight, torch.Tensor Bias);

    static torch.Tensor Loss(Affine p, torch.Tensor x, torch.Tensor y) =>
        (torch.tanh(x.matmul(p.Weight).add(p.Bias, Scalars.One)) - y).pow(Scalars.Two).mean();

    /// <summary>One plain SGD step as a user writes it: the old parameters are released once replaced.</summary>
    static Affine Step(Affine parameters, torch.Tensor x, torch.Tensor y) =>
        Memory.Scoped(() =>
        {
            var gradient = Autodiff.ValueAndGrad(p => Loss(p, x, y), parameters).Gradient;
            using var rate = 0.1.ToScalar();
            return Tree.Zip(parameters, gradient, (w, g) => w - rate * g);
        });

    [Fact]
    public void Repeated_training_steps_leave_no_native_tensors_behind()
    {
        var x = torch.randn(16, 4);
        var y = torch.randn(16, 3);
        var parameters = new Affine(torch.randn(4, 3), torch.zeros(3));
        for (var i = 0; i < 10; i++) parameters = Replace(parameters, Step(parameters, x, y));

        var live = LiveTensors();
        // No collection may run during the steps: finalizers would hide tensors a step failed to dispose.
        Assert.True(GC.TryStartNoGCRegion(64_000_000));
        for (var i = 0; i < 300; i++) parameters = Replace(parameters, Step(parameters, x, y));
        var after = torch.Tensor.TotalCount;
        GC.EndNoGCRegion();

        Assert.Equal(live, after);
    }

    [Fact]
    public void Value_and_grad_releases_everything_but_its_results()
    {
        var x = torch.randn(8, 4);
        var y = torch.randn(8, 3);
        var parameters = new Affine(torch.randn(4, 3), torch.zeros(3));

        var live = LiveTensors();
        var result = Autodiff.ValueAndGrad(p => Loss(p, x, y), parameters);

        Assert.Equal(live + 1 + Tree.LeafCount(parameters), LiveTensors());
        Tree.Dispose(result);
        Assert.Equal(live, LiveTensors());
    }

    [Fact]
    public void Grad_check_releases_everything()
    {
        var x = torch.randn(4, 2, dtype: torch.float64);
        var y = torch.randn(4, 3, dtype: torch.float64);
        var parameters = new Affine(torch.randn(2, 3), torch.zeros(3));

        var live = LiveTensors();
        var report = GradCheck.Run(p => Loss(p, x, y), parameters, GradCheckOptions.Default);

        Assert.True(report.Passed, report.ToString());
        Assert.Equal(live, LiveTensors());
    }

    /// <summary>Live native tensors, after the finalizers of other tests' unreachable tensors have run.</summary>
    static long LiveTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return torch.Tensor.TotalCount;
    }

    static Affine Replace(Affine old, Affine next)
    {
        Tree.Dispose(old);
        return next;
    }
}
