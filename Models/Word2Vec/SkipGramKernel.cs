using System.Numerics;
using System.Runtime.InteropServices;

namespace Functional.Models.Word2Vec;

/// <summary>
/// The hand-written skip-gram step on raw float rows, as word2vec and fastText do it: for one centre word and its
/// targets (the context word, then the negatives) it computes each score s_j = u_j·v, the error
/// g_j = σ(s_j) - y_j, and applies the gradient as sparse row updates — u_j -= η g_j v for each target row, then
/// v -= η Σ_j g_j u_j (with the target rows as they were before their own update). For distinct targets this is
/// exactly one SGD step on <see cref="SkipGram.Loss"/> of that example. No tensors, no autograd graph.
/// </summary>
public static class SkipGramKernel
{
    /// <summary>
    /// Updates the rows of <paramref name="input"/> and <paramref name="output"/> ([words × dimension], row-major)
    /// for one example in place and returns its loss. <paramref name="scratch"/> holds at least
    /// <paramref name="dimension"/> floats. Concurrent callers may race on shared rows (lock-free training).
    /// </summary>
    public static float Step(float[] input, float[] output, int dimension, int centre, ReadOnlySpan<int> targets, float rate, Span<float> scratch)
    {
        var v = input.AsSpan(centre * dimension, dimension);
        var centreGradient = scratch[..dimension];
        centreGradient.Clear();
        var loss = 0f;
        for (var j = 0; j < targets.Length; j++)
        {
            var u = output.AsSpan(targets[j] * dimension, dimension);
            var score = Dot(u, v);
            var label = j == 0 ? 1f : 0f;
            var error = Sigmoid(score) - label;
            loss += LogOnePlusExp(j == 0 ? -score : score);
            AddScaled(centreGradient, u, error);   // Σ_j g_j u_j, with u_j before its update
            AddScaled(u, v, -rate * error);        // u_j -= η g_j v
        }
        AddScaled(v, centreGradient, -rate);       // v -= η Σ_j g_j u_j
        return loss;
    }

    static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>log(1 + e^x) = -log σ(-x), computed without overflow.</summary>
    static float LogOnePlusExp(float x) => x > 0 ? x + MathF.Log(1f + MathF.Exp(-x)) : MathF.Log(1f + MathF.Exp(x));

    static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var vectorA = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vectorB = MemoryMarshal.Cast<float, Vector<float>>(b);
        for (var i = 0; i < vectorA.Length; i++) sum += vectorA[i] * vectorB[i];
        var result = Vector.Sum(sum);
        for (var i = vectorA.Length * Vector<float>.Count; i < a.Length; i++) result += a[i] * b[i];
        return result;
    }

    /// <summary>target += scale * source.</summary>
    static void AddScaled(Span<float> target, ReadOnlySpan<float> source, float scale)
    {
        var vectorTarget = MemoryMarshal.Cast<float, Vector<float>>(target);
        var vectorSource = MemoryMarshal.Cast<float, Vector<float>>(source);
        var factor = new Vector<float>(scale);
        for (var i = 0; i < vectorTarget.Length; i++) vectorTarget[i] += vectorSource[i] * factor;
        for (var i = vectorTarget.Length * Vector<float>.Count; i < target.Length; i++) target[i] += source[i] * scale;
    }
}
