using TorchSharp;

namespace Functional.Core;

/// <summary>
/// Scalars that live as long as the process, safe to pass to any TorchSharp call from any thread.
/// </summary>
/// <remarks>
/// <para>TorchSharp frees a <see cref="Scalar"/> only when it is disposed or finalized, and reads it in native code
/// without keeping it alive, so a Scalar made on the fly (<c>x * 2.0</c>, <c>x.masked_fill(m, 0)</c>,
/// <c>a + b</c>, which passes <c>alpha: 1</c>) can be finalized by another thread's garbage collection while libtorch
/// reads it. A Scalar in a static field is rooted for the whole process and is never finalized. For any other value,
/// hold it for the call: <c>using var rate = learningRate.ToScalar();</c>. The Functional.Analyzers diagnostics
/// (FT0001–FT0003) report every place that does neither.</para>
/// <para>The integral constants are 64-bit integers, which libtorch promotes to any tensor's dtype (so they also
/// serve as <c>alpha</c> of integral tensors, where a floating-point alpha is refused).</para>
/// </remarks>
public static class Scalars
{
    /// <summary>0 (int64): <c>x.masked_fill(hidden, Scalars.Zero)</c>.</summary>
    public static readonly Scalar Zero = 0L.ToScalar();

    /// <summary>1 (int64): <c>a.add(b, Scalars.One)</c> is <c>a + b</c>.</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>-1 (int64).</summary>
    public static readonly Scalar MinusOne = (-1L).ToScalar();

    /// <summary>2 (int64): <c>x.pow(Scalars.Two)</c>.</summary>
    public static readonly Scalar Two = 2L.ToScalar();

    /// <summary>0.5 (float64).</summary>
    public static readonly Scalar Half = 0.5.ToScalar();

    /// <summary>True: <c>mask.masked_fill(hidden, Scalars.True)</c>.</summary>
    public static readonly Scalar True = true.ToScalar();

    /// <summary>False.</summary>
    public static readonly Scalar False = false.ToScalar();
}
