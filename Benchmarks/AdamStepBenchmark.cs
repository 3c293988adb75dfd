using BenchmarkDotNet.Attributes;
using Functional.Core;
using Functional.Models.Titles;

namespace Functional.Benchmarks;

/// <summary>
/// One optimizer step on three model shapes (10 x 1M, 200 x 50k, 2000 x 5k float32 parameters): TorchSharp's
/// <c>torch.optim.Adam.step()</c> (the baseline of the Ratio column), our pure Adam step, our global-norm clip +
/// Adam + EMA pipeline, and a triad over as many elements (the streaming reference; see
/// <see cref="SideBySide"/> for the bandwidths). Run: <c>dotnet run --project Benchmarks -c Release -- --filter '*Adam*'</c>.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(3)]
[IterationCount(12)]
public class AdamStepBenchmark
{
    /// <summary>Tensors x elements per tensor.</summary>
    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "";

    public static IEnumerable<string> ShapeNames => OptimizerWorkload.Shapes.Select(s => $"{s.Count}x{s.Size}");

    OptimizerWorkload workload = null!;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x');
        workload = new OptimizerWorkload(int.Parse(parts[0]), int.Parse(parts[1]));
    }

    [GlobalCleanup]
    public void Cleanup() => workload.Dispose();

    [Benchmark(Baseline = true, Description = "TorchSharp Adam.step()")]
    public void TorchSharpAdam() => workload.TorchAdam();

    [Benchmark(Description = "our Adam step")]
    public void OurAdam() => workload.OurAdam();

    [Benchmark(Description = "our clip+Adam+EMA step")]
    public void OurClipAdamEma() => workload.OurClipAdamEma();

    [Benchmark(Description = "triad a=b+s*c (reference)")]
    public void Triad() => workload.Triad();
}
