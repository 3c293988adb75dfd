using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// The fused kernel of <see cref="FusedAdam"/> on large float32 CPU trees: one pass per element over all leaves
/// (SIMD, both cores) that reads the parameters, gradients and moments and writes fresh parameters, moments and
/// average — instead of a dozen tensor operations. Inputs are only read; every output is a tensor allocated here. The
/// result equals the stage-by-stage path up to float32 rounding (a few units in the last place; tested).
/// </summary>
internal static unsafe class FusedAdamStep
{
    const long ChunkElements = 1 << 15;

    sealed record Plan(ClipByGlobalNorm? Clip, ScaleByAdam Adam, ScaleByAdamState AdamState, ScaleByLearningRate Rate, LearningRateState RateState,
        ParameterEma? Ema, ParameterEmaState? EmaState);

    /// <summary>
    /// The new parameters and state, or null when the tensors do not fit the kernel (not plain float32 on the CPU,
    /// fewer than <see cref="FusedAdam.MinimumElements"/> elements, a state that is not <paramref name="adam"/>'s) or
    /// the schedule gives an invalid rate; the caller then runs the staged path, which reports such errors.
    /// </summary>
    public static (torch.Tensor[] Parameters, object State)? TryStep(FusedAdam adam, IReadOnlyList<TreeLeaf> gradients,
        object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var plan = Match(adam, state);
        var shapes = plan is null ? null : Fits(plan, gradients, parameters);
        if (plan is null || shapes is null) return null;
        // The counters and the injected rate, read once per step (0-d CPU tensors).
        var rate = plan.RateState.LearningRate.item<double>();
        if (!(rate >= 0) || double.IsInfinity(rate)) return null;
        var rateCount = Counter.Read(plan.RateState.Count, nameof(ScaleByLearningRate));
        var count = Counter.Read(plan.AdamState.Count, nameof(ScaleByAdam)) + 1;

        var n = parameters.Count;
        var clip = 1.0;
        if (plan.Clip is { } clipStage)
        {
            var norm = Math.Sqrt(SumOfSquares(gradients, shapes));
            if (norm > clipStage.MaxNorm) clip = clipStage.MaxNorm / norm;
        }
        var moments = plan.Adam;
        var kernel = new AdamKernel
        {
            Clip = (float)clip,
            B1 = (float)moments.B1, OneMinusB1 = (float)(1 - moments.B1),
            B2 = (float)moments.B2, OneMinusB2 = (float)(1 - moments.B2),
            InverseCorrection1 = (float)(1 / (1 - Math.Pow(moments.B1, count))),
            InverseRootCorrection2 = (float)(1 / Math.Sqrt(1 - Math.Pow(moments.B2, count))),
            Eps = (float)moments.Eps,
            MinusRate = (float)-rate,
            EmaDecay = (float)(plan.Ema?.Decay ?? 0), OneMinusEmaDecay = (float)(1 - (plan.Ema?.Decay ?? 0)),
        };

        var newParameters = Allocate(shapes);
        var mu = Allocate(shapes);
        var nu = Allocate(shapes);
        var average = plan.Ema is null ? null : Allocate(shapes);
        var leaves = new Leaf[n];
        for (var i = 0; i < n; i++)
        {
            leaves[i] = new Leaf
            {
                P = NativeMemory.Pointer(parameters[i].Value), G = NativeMemory.Pointer(gradients[i].Value),
                Mu = NativeMemory.Pointer(plan.AdamState.Mu[i]), Nu = NativeMemory.Pointer(plan.AdamState.Nu[i]),
                Ema = plan.EmaState is null ? null : NativeMemory.Pointer(plan.EmaState.Average[i]),
                POut = NativeMemory.Pointer(newParameters[i]), MuOut = NativeMemory.Pointer(mu[i]), NuOut = NativeMemory.Pointer(nu[i]),
                EmaOut = average is null ? null : NativeMemory.Pointer(average[i]),
            };
        }
        var chunks = Chunks(shapes);
        Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            var (leaf, start, length) = chunks[c];
            kernel.Run(leaves[leaf], start, length);
        });

        // The state of the staged chain Clip?, Moments, Rate, Average?.
        object[] states =
        [
            .. plan.Clip is null ? Array.Empty<object>() : [EmptyState.Instance],
            new ScaleByAdamState(Counter.Of(count), plan.AdamState.Mu.With(mu), plan.AdamState.Nu.With(nu)),
            LearningRateState.At(rateCount + 1, plan.Rate.Schedule.Value(rateCount + 1)),
            .. plan.Ema is null ? Array.Empty<object>()
                : [new ParameterEmaState(Counter.Of(Counter.Read(plan.EmaState!.Count, nameof(ParameterEma)) + 1), plan.Ema.Decay, plan.Ema.BiasCorrection, plan.EmaState.Average.With(average!))],
        ];
        return (newParameters, new ChainState(states));
    }

    /// <summary>The stages of <paramref name="adam"/> with their parts of <paramref name="state"/>, or null when the state is not its staged chain's.</summary>
    static Plan? Match(FusedAdam adam, object state)
    {
        var expected = (adam.Clip is null ? 0 : 1) + 2 + (adam.Average is null ? 0 : 1);
        if (state is not ChainState { States: var states } || states.Count != expected) return null;
        var position = adam.Clip is null ? 0 : 1;
        if (states[position] is not ScaleByAdamState adamState || states[position + 1] is not LearningRateState rateState) return null;
        ParameterEmaState? emaState = null;
        if (adam.Average is not null && (emaState = states[position + 2] as ParameterEmaState) is null) return null;
        return new Plan(adam.Clip, adam.Moments, adamState, adam.Rate, rateState, adam.Average, emaState);
    }

    /// <summary>The leaf shapes when every tensor is plain float32 and the gradients have the parameters' shapes; else null.</summary>
    static long[][]? Fits(Plan plan, IReadOnlyList<TreeLeaf> gradients, IReadOnlyList<TreeLeaf> parameters)
    {
        var n = parameters.Count;
        if (gradients.Count != n || plan.AdamState.Mu.Count != n || plan.AdamState.Nu.Count != n || plan.EmaState is { } e && e.Average.Count != n) return null;
        var shapes = new long[n][];
        long total = 0;
        for (var i = 0; i < n; i++)
        {
            var (p, g) = (parameters[i].Value, gradients[i].Value);
            shapes[i] = p.shape;
            if (!NativeMemory.IsPlainFloat32(p) || !NativeMemory.IsPlainFloat32(g) || gradients[i].Path != parameters[i].Path || !g.shape.SequenceEqual(shapes[i]))
                return null;
            var size = shapes[i].Aggregate(1L, (a, b) => a * b);
            // State tensors: plain float32 with the parameter's element count is enough for the kernel to be safe.
            if (!Plain(plan.AdamState.Mu[i], size) || !Plain(plan.AdamState.Nu[i], size) || plan.EmaState is { } ema && !Plain(ema.Average[i], size)) return null;
            total += size;
        }
        return total >= FusedAdam.MinimumElements ? shapes : null;
    }

    static bool Plain(torch.Tensor tensor, long size) => NativeMemory.IsPlainFloat32(tensor) && tensor.numel() == size;

    /// <summary>
    /// Fresh contiguous float32 tensors of the given shapes. Small leaves are cut from shared allocations of about
    /// 1M elements (one native call for a group of 1-D leaves instead of one per leaf; a view per leaf of another
    /// rank); groups stay that small so the C allocator recycles them instead of mapping fresh pages every step.
    /// </summary>
    static torch.Tensor[] Allocate(long[][] shapes)
    {
        const long groupElements = 1 << 20;
        var result = new torch.Tensor[shapes.Length];
        var sizes = shapes.Select(shape => shape.Aggregate(1L, (a, b) => a * b)).ToArray();
        for (var first = 0; first < shapes.Length;)
        {
            var last = first;
            var total = sizes[first];
            while (last + 1 < shapes.Length && total + sizes[last + 1] <= groupElements) total += sizes[++last];
            if (last == first)
                result[first] = torch.empty(shapes[first], torch.float32);
            else
            {
                using var buffer = torch.empty(total, torch.float32);
                var pieces = buffer.split(sizes[first..(last + 1)]);
                for (var i = 0; i < pieces.Length; i++)
                {
                    if (shapes[first + i].Length == 1) result[first + i] = pieces[i];
                    else
                    {
                        result[first + i] = pieces[i].view(shapes[first + i]);
                        pieces[i].Dispose();
                    }
                }
            }
            first = last + 1;
        }
        return result;
    }

    static List<(int Leaf, long Start, long Length)> Chunks(long[][] shapes)
    {
        var chunks = new List<(int, long, long)>();
        for (var i = 0; i < shapes.Length; i++)
        {
            var size = shapes[i].Aggregate(1L, (a, b) => a * b);
            for (long start = 0; start < size; start += ChunkElements) chunks.Add((i, start, Math.Min(ChunkElements, size - start)));
        }
        return chunks;
    }

    static double SumOfSquares(IReadOnlyList<TreeLeaf> gradients, long[][] shapes)
    {
        var chunks = Chunks(shapes);
        var pointers = gradients.Select(g => (IntPtr)NativeMemory.Pointer(g.Value)).ToArray();
        var partial = new double[chunks.Count];
        Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            var (leaf, start, length) = chunks[c];
            var g = (float*)pointers[leaf] + start;
            var acc = Vector<double>.Zero;
            long i = 0;
            for (; i + Vector<float>.Count <= length; i += Vector<float>.Count)
            {
                var v = Unsafe.ReadUnaligned<Vector<float>>(g + i);
                Vector.Widen(v, out var low, out var high);
                acc += low * low + high * high;
            }
            var sum = Vector.Sum(acc);
            for (; i < length; i++) sum += (double)g[i] * g[i];
            partial[c] = sum;
        });
        return partial.Sum();
    }

    static bool Aligned(float* pointer) => ((nuint)pointer & 31) == 0;

    struct Leaf
    {
        public float* P, G, Mu, Nu, Ema, POut, MuOut, NuOut, EmaOut;
    }

    struct AdamKernel
    {
        public float Clip, B1, OneMinusB1, B2, OneMinusB2, InverseCorrection1, InverseRootCorrection2, Eps, MinusRate, EmaDecay, OneMinusEmaDecay;

        public readonly void Run(Leaf leaf, long start, long length)
        {
            long i = start, end = start + length;
            var width = Vector<float>.Count;
            var (clip, b1, c1, b2, c2) = (new Vector<float>(Clip), new Vector<float>(B1), new Vector<float>(OneMinusB1), new Vector<float>(B2), new Vector<float>(OneMinusB2));
            var (ic1, irc2, eps, rate) = (new Vector<float>(InverseCorrection1), new Vector<float>(InverseRootCorrection2), new Vector<float>(Eps), new Vector<float>(MinusRate));
            var (d, cd) = (new Vector<float>(EmaDecay), new Vector<float>(OneMinusEmaDecay));
            // The outputs are fresh buffers nobody reads during the step: streaming (non-temporal) stores skip reading
            // them into the cache first, which saves a third of the memory traffic. They need 32-byte alignment.
            var streaming = Avx.IsSupported && Vector<float>.Count == 8
                            && Aligned(leaf.MuOut + i) && Aligned(leaf.NuOut + i) && Aligned(leaf.POut + i) && (leaf.Ema == null || Aligned(leaf.EmaOut + i));
            for (; i + width <= end; i += width)
            {
                var g = Unsafe.ReadUnaligned<Vector<float>>(leaf.G + i) * clip;
                var m = Unsafe.ReadUnaligned<Vector<float>>(leaf.Mu + i) * b1 + g * c1;
                var v = Unsafe.ReadUnaligned<Vector<float>>(leaf.Nu + i) * b2 + g * g * c2;
                var p = Unsafe.ReadUnaligned<Vector<float>>(leaf.P + i) + m * ic1 / (Vector.SquareRoot(v) * irc2 + eps) * rate;
                if (streaming)
                {
                    Avx.StoreAlignedNonTemporal(leaf.MuOut + i, m.AsVector256());
                    Avx.StoreAlignedNonTemporal(leaf.NuOut + i, v.AsVector256());
                    Avx.StoreAlignedNonTemporal(leaf.POut + i, p.AsVector256());
                    if (leaf.Ema != null)
                        Avx.StoreAlignedNonTemporal(leaf.EmaOut + i, (Unsafe.ReadUnaligned<Vector<float>>(leaf.Ema + i) * d + p * cd).AsVector256());
                    continue;
                }
                Unsafe.WriteUnaligned(leaf.MuOut + i, m);
                Unsafe.WriteUnaligned(leaf.NuOut + i, v);
                Unsafe.WriteUnaligned(leaf.POut + i, p);
                if (leaf.Ema != null) Unsafe.WriteUnaligned(leaf.EmaOut + i, Unsafe.ReadUnaligned<Vector<float>>(leaf.Ema + i) * d + p * cd);
            }
            if (streaming) Sse.StoreFence();
            for (; i < end; i++)
            {
                var g = leaf.G[i] * Clip;
                var m = leaf.Mu[i] * B1 + g * OneMinusB1;
                var v = leaf.Nu[i] * B2 + g * g * OneMinusB2;
                var p = leaf.P[i] + m * InverseCorrection1 / (MathF.Sqrt(v) * InverseRootCorrection2 + Eps) * MinusRate;
                leaf.MuOut[i] = m;
                leaf.NuOut[i] = v;
                leaf.POut[i] = p;
                if (leaf.Ema != null) leaf.EmaOut[i] = leaf.Ema[i] * EmaDecay + p * OneMinusEmaDecay;
            }
        }
    }
}
