using Functional.Core;
using System.Reflection;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Native;

/// <summary>TorchSharp's native library loads on this system and computes, and the build fixed only its own copy.</summary>
public sealed class TorchSharpLoadsTests
{
    [Fact]
    public void Native_backend_initialises_and_computes_with_autograd()
    {
        var x = torch.tensor(new[] { 1.0, 2.0, 3.0 }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        Assert.Equal(14.0, y.item<double>());
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, x.grad!.data<double>().ToArray());

        using var six = 6.ToScalar();
        var a = torch.arange(Scalars.Zero, six, Scalars.One, dtype: torch.float32).reshape(2, 3);
        Assert.Equal(new float[] { 5, 14, 14, 50 }, a.matmul(a.t()).data<float>().ToArray());
    }

    [Fact]
    public void Build_output_copy_differs_from_the_package_only_in_the_weak_flag()
    {
        var root = typeof(TorchSharpLoadsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        var original = File.ReadAllBytes(Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
        var output = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));

        Assert.Equal(original.Length, output.Length);
        var differences = Enumerable.Range(0, original.Length).Where(i => original[i] != output[i]).ToArray();
        // Either nothing was needed (a system with GCC 13's libstdc++) or exactly one flag bit was set: VER_FLG_WEAK (0x2).
        Assert.True(differences.Length <= 1, $"{differences.Length} bytes differ");
        foreach (var at in differences) Assert.Equal(original[at] | 0x2, output[at]);
    }
}
