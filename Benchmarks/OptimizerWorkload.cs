using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using TorchSharp.Modules;

namespace Functional.Benchmarks;

/// <summary>A parameter tree that is just a list of float32 vectors.</summary>
public sealed record FlatParameters(IReadOnlyList<torch.Tensor> Tensors);

/// <summary>
/// The optimizer-step workloads shared by the BenchmarkDotNet suite and the side-by-side comparison: TorchSharp's
/// <c>torch.optim.Adam.step()</c> on <c>Count</c> tensors of <c>Size</c> float32 elements, our pure Adam step on the
/// same numbers, our clip + Adam + EMA pipeline, and a triad (<c>a = b + s * c</c>) over as many elements, the
/// machine's streaming reference.
/// </summary>
public sealed unsafe class OptimizerWorkload : IDisposable
{
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    public static readonly (int Count, int Size)[] Shapes = [(10, 1_000_000), (200, 50_000), (2000, 5_000)];

    readonly Parameter[] torchParameters;
    readonly torch.optim.Optimizer torchAdam;
    readonly FlatParameters gradients;
    // The fused kernel, asked for by name: a staged Optimizer.Adam runs stage by stage.
    readonly IGradientTransformation adam = Optimizer.FusedAdam(1e-3);
    readonly IGradientTransformation pipeline = Optimizer.FusedAdam(1e-3) with { Clip = new ClipByGlobalNorm(1.0), Average = new ParameterEma(0.999, false) };
    FlatParameters adamParameters, pipelineParameters;
    object adamState, pipelineState;
    readonly torch.Tensor triadA, triadB, triadC;

    public OptimizerWorkload(int count, int size)
    {
        Elements = (long)count * size;
        using var generator = new torch.Generator(42);
        var start = new FlatParameters(Enumerable.Range(0, count).Select(_ => torch.randn([size], generator: generator)).ToArray());
        using var hundredth = 0.01.ToScalar();
        gradients = new FlatParameters(Enumerable.Range(0, count).Select(_ => torch.randn([size], generator: generator).mul(hundredth)).ToArray());
        torchParameters = start.Tensors.Select(t => new Parameter(t.clone(), requires_grad: true)).ToArray();
        torchAdam = torch.optim.Adam(torchParameters, 1e-3);
        // The gradient of sum(p * g) is g: set the .grad of every parameter once; step() reuses it.
        torchParameters.Zip(gradients.Tensors, (p, g) => (p * g).sum()).Aggregate((a, b) => a.add(b, Scalars.One)).backward();
        adamParameters = Tree.Map(start, t => t.clone());
        pipelineParameters = Tree.Map(start, t => t.clone());
        adamState = Optimizer.Init(adam, adamParameters);
        pipelineState = Optimizer.Init(pipeline, pipelineParameters);
        Tree.Dispose(start);
        triadA = torch.empty(Elements);
        triadB = torch.randn(Elements);
        triadC = torch.randn(Elements);
    }

    /// <summary>Parameter elements in the tree.</summary>
    public long Elements { get; }

    /// <summary>TorchSharp's in-place Adam step.</summary>
    public void TorchAdam()
    {
        using var scope = torch.NewDisposeScope();
        torchAdam.step();
    }

    /// <summary>Our Adam step (pure: new parameters and state; the old ones are released here, as a training loop does).</summary>
    public void OurAdam() => Advance(adam, ref adamParameters, ref adamState);

    /// <summary>Our global-norm clip + Adam + parameter EMA step.</summary>
    public void OurClipAdamEma() => Advance(pipeline, ref pipelineParameters, ref pipelineState);

    void Advance(IGradientTransformation transformation, ref FlatParameters parameters, ref object state)
    {
        var step = Optimizer.Step(transformation, gradients, state, parameters);
        Tree.Dispose(parameters);
        Tree.Dispose(state);
        (parameters, state) = (step.Parameters, step.State);
    }

    /// <summary><c>a = b + 3 c</c> over <see cref="Elements"/> floats, SIMD on all cores: 3 streams.</summary>
    public void Triad()
    {
        var a = (float*)THSTensor_data(triadA.Handle);
        var b = (float*)THSTensor_data(triadB.Handle);
        var c = (float*)THSTensor_data(triadC.Handle);
        const long chunk = 1 << 16;
        var chunks = (int)((Elements + chunk - 1) / chunk);
        Parallel.For(0, chunks, k =>
        {
            long i = k * chunk, end = Math.Min(Elements, i + chunk);
            var s = new Vector<float>(3f);
            for (; i + Vector<float>.Count <= end; i += Vector<float>.Count)
                Unsafe.WriteUnaligned(a + i, Unsafe.ReadUnaligned<Vector<float>>(b + i) + s * Unsafe.ReadUnaligned<Vector<float>>(c + i));
            for (; i < end; i++) a[i] = b[i] + 3 * c[i];
        });
    }

    public void Dispose()
    {
        torchAdam.Dispose();
        foreach (var p in torchParameters) p.Dispose();
        Tree.Dispose(gradients);
        Tree.Dispose(adamParameters);
        Tree.Dispose(pipelineParameters);
        Tree.Dispose(adamState);
        Tree.Dispose(pipelineState);
        triadA.Dispose();
        triadB.Dispose();
        triadC.Dispose();
    }
}
