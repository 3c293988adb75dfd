using TorchSharp;

namespace Functional.Core;

/// <summary>
/// Tensor arithmetic that is safe from TorchSharp 0.107's implicit-Scalar race by construction: what
/// <c>a + b</c>, <c>x * 2.0</c>, <c>1 - x</c>, <c>x / 4</c> and <c>x.square()</c> compute, written
/// <c>a.Plus(b)</c>, <c>x.Times(2.0)</c>, <c>x.SubtractedFrom(1)</c>, <c>x.DividedBy(4)</c> and <c>x.Squared()</c>.
/// </summary>
/// <remarks>
/// <para>TorchSharp's own operators make a temporary <see cref="Scalar"/> inside (the <c>alpha: 1</c> of
/// <c>a + b</c>, the 2.0 of <c>x * 2.0</c>) and let it die before the native call that reads it, so another thread's
/// garbage collection can free it mid-call (<see cref="Scalars"/> says more; the analyzers report such code as FT0003).
/// Each method here holds every Scalar it passes until the native call has returned: a constant of
/// <see cref="Scalars"/>, or a <c>using</c> local made from the number. The result is bitwise the result of the
/// TorchSharp operation with a held Scalar (a property test holds them equal), and the cost over writing that operation
/// by hand is one native Scalar allocation per number (none for tensor operands): measured by
/// <c>dotnet run --project Benchmarks -c Release -- safe-arithmetic</c>.</para>
/// <para>Pure: inputs are never mutated or disposed; every result is a fresh tensor. C# cannot replace a type's own
/// operators with extension operators (the type's operators win), hence methods; F# code gets the operators
/// themselves from <c>Functional.FSharp.TensorOperators</c>.</para>
/// </remarks>
public static class SafeArithmetic
{
    /// <summary><c>a + b</c>: <c>a.add(b, Scalars.One)</c>.</summary>
    public static torch.Tensor Plus(this torch.Tensor a, torch.Tensor b) => a.add(b, Scalars.One);

    /// <summary><c>x + value</c>, the Scalar held for the call.</summary>
    public static torch.Tensor Plus(this torch.Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.add(s, Scalars.One);
    }

    /// <summary><c>x + value</c> with an integral value (kept integral, so integer tensors stay integer).</summary>
    public static torch.Tensor Plus(this torch.Tensor x, long value)
    {
        using var s = value.ToScalar();
        return x.add(s, Scalars.One);
    }

    /// <summary><c>a - b</c>.</summary>
    public static torch.Tensor Minus(this torch.Tensor a, torch.Tensor b) => a.sub(b);

    /// <summary><c>x - value</c>, the Scalar held for the call.</summary>
    public static torch.Tensor Minus(this torch.Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.sub(s);
    }

    /// <summary><c>x - value</c> with an integral value.</summary>
    public static torch.Tensor Minus(this torch.Tensor x, long value)
    {
        using var s = value.ToScalar();
        return x.sub(s);
    }

    /// <summary><c>value - x</c>: <c>x.neg().add(value)</c>, the Scalar held for the call.</summary>
    public static torch.Tensor SubtractedFrom(this torch.Tensor x, double value)
    {
        using var s = value.ToScalar();
        using var negated = x.neg();
        return negated.add(s, Scalars.One);
    }

    /// <summary><c>value - x</c> with an integral value.</summary>
    public static torch.Tensor SubtractedFrom(this torch.Tensor x, long value)
    {
        using var s = value.ToScalar();
        using var negated = x.neg();
        return negated.add(s, Scalars.One);
    }

    /// <summary><c>a * b</c> (elementwise).</summary>
    public static torch.Tensor Times(this torch.Tensor a, torch.Tensor b) => a.mul(b);

    /// <summary><c>x * value</c>, the Scalar held for the call.</summary>
    public static torch.Tensor Times(this torch.Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.mul(s);
    }

    /// <summary><c>x * value</c> with an integral value.</summary>
    public static torch.Tensor Times(this torch.Tensor x, long value)
    {
        using var s = value.ToScalar();
        return x.mul(s);
    }

    /// <summary><c>a / b</c> (elementwise).</summary>
    public static torch.Tensor DividedBy(this torch.Tensor a, torch.Tensor b) => a.div(b);

    /// <summary><c>x / value</c>, the Scalar held for the call.</summary>
    public static torch.Tensor DividedBy(this torch.Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.div(s);
    }

    /// <summary><c>x / value</c> with an integral value.</summary>
    public static torch.Tensor DividedBy(this torch.Tensor x, long value)
    {
        using var s = value.ToScalar();
        return x.div(s);
    }

    /// <summary><c>value / x</c>: <c>x.reciprocal().mul(value)</c>, the Scalar held for the call.</summary>
    public static torch.Tensor DividedInto(this torch.Tensor x, double value)
    {
        using var s = value.ToScalar();
        using var reciprocal = x.reciprocal();
        return reciprocal.mul(s);
    }

    /// <summary><c>x.square()</c>: <c>x.pow(Scalars.Two)</c> (what <c>square()</c> computes, gradient included).</summary>
    public static torch.Tensor Squared(this torch.Tensor x) => x.pow(Scalars.Two);
}
