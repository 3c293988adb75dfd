namespace Functional.FSharp

open TorchSharp
open Functional.Core

/// The implementations behind the operators of `TensorOperators`: each overload holds every Scalar it passes to
/// libtorch until the native call has returned (a `use` binding, or a constant of Functional.Core.Scalars), so none can
/// be finalized mid-call by another thread's garbage collection (TorchSharp 0.107's implicit-Scalar race: its own
/// `Tensor + Tensor` passes `alpha: 1` as a temporary Scalar, and `x * 2.0` converts 2.0 into one). The overloads on
/// plain numbers are the ordinary F# arithmetic, so that code that opens `TensorOperators` still adds its integers.
/// Pure: inputs are never mutated or disposed; every result is a fresh tensor.
[<AbstractClass; Sealed>]
type ScalarSafe =
    /// a + b, with alpha held.
    static member Add(a: torch.Tensor, b: torch.Tensor) = a.add(b, Scalars.One)
    /// x + v.
    static member Add(x: torch.Tensor, v: float) = (use s = v.ToScalar() in x.add(s, Scalars.One))
    /// v + x.
    static member Add(v: float, x: torch.Tensor) = (use s = v.ToScalar() in x.add(s, Scalars.One))
    /// x + v.
    static member Add(x: torch.Tensor, v: int) = (use s = (int64 v).ToScalar() in x.add(s, Scalars.One))
    /// v + x.
    static member Add(v: int, x: torch.Tensor) = (use s = (int64 v).ToScalar() in x.add(s, Scalars.One))
    /// x + s with a Scalar the caller holds.
    static member Add(x: torch.Tensor, s: Scalar) = x.add(s, Scalars.One)
    /// Ordinary addition.
    static member Add(a: float, b: float) = a + b
    /// Ordinary addition.
    static member Add(a: float32, b: float32) = a + b
    /// Ordinary addition.
    static member Add(a: int, b: int) = a + b
    /// Ordinary addition.
    static member Add(a: int64, b: int64) = a + b
    /// Ordinary concatenation.
    static member Add(a: string, b: string) = a + b

    /// a - b.
    static member Subtract(a: torch.Tensor, b: torch.Tensor) = a.sub(b)
    /// x - v.
    static member Subtract(x: torch.Tensor, v: float) = (use s = v.ToScalar() in x.sub(s))
    /// v - x.
    static member Subtract(v: float, x: torch.Tensor) = (use s = v.ToScalar() in x.neg().add(s, Scalars.One))
    /// x - v.
    static member Subtract(x: torch.Tensor, v: int) = (use s = (int64 v).ToScalar() in x.sub(s))
    /// v - x.
    static member Subtract(v: int, x: torch.Tensor) = (use s = (int64 v).ToScalar() in x.neg().add(s, Scalars.One))
    /// x - s with a Scalar the caller holds.
    static member Subtract(x: torch.Tensor, s: Scalar) = x.sub(s)
    /// Ordinary subtraction.
    static member Subtract(a: float, b: float) = a - b
    /// Ordinary subtraction.
    static member Subtract(a: float32, b: float32) = a - b
    /// Ordinary subtraction.
    static member Subtract(a: int, b: int) = a - b
    /// Ordinary subtraction.
    static member Subtract(a: int64, b: int64) = a - b

    /// a * b (elementwise).
    static member Multiply(a: torch.Tensor, b: torch.Tensor) = a.mul(b)
    /// x * v.
    static member Multiply(x: torch.Tensor, v: float) = (use s = v.ToScalar() in x.mul(s))
    /// v * x.
    static member Multiply(v: float, x: torch.Tensor) = (use s = v.ToScalar() in x.mul(s))
    /// x * v.
    static member Multiply(x: torch.Tensor, v: int) = (use s = (int64 v).ToScalar() in x.mul(s))
    /// v * x.
    static member Multiply(v: int, x: torch.Tensor) = (use s = (int64 v).ToScalar() in x.mul(s))
    /// x * s with a Scalar the caller holds.
    static member Multiply(x: torch.Tensor, s: Scalar) = x.mul(s)
    /// Ordinary multiplication.
    static member Multiply(a: float, b: float) = a * b
    /// Ordinary multiplication.
    static member Multiply(a: float32, b: float32) = a * b
    /// Ordinary multiplication.
    static member Multiply(a: int, b: int) = a * b
    /// Ordinary multiplication.
    static member Multiply(a: int64, b: int64) = a * b

    /// a / b (elementwise).
    static member Divide(a: torch.Tensor, b: torch.Tensor) = a.div(b)
    /// x / v.
    static member Divide(x: torch.Tensor, v: float) = (use s = v.ToScalar() in x.div(s))
    /// v / x.
    static member Divide(v: float, x: torch.Tensor) = (use s = v.ToScalar() in x.reciprocal().mul(s))
    /// x / v.
    static member Divide(x: torch.Tensor, v: int) = (use s = (int64 v).ToScalar() in x.div(s))
    /// v / x.
    static member Divide(v: int, x: torch.Tensor) = (use s = (int64 v).ToScalar() in x.reciprocal().mul(s))
    /// x / s with a Scalar the caller holds.
    static member Divide(x: torch.Tensor, s: Scalar) = x.div(s)
    /// Ordinary division.
    static member Divide(a: float, b: float) = a / b
    /// Ordinary division.
    static member Divide(a: float32, b: float32) = a / b
    /// Ordinary division.
    static member Divide(a: int, b: int) = a / b
    /// Ordinary division.
    static member Divide(a: int64, b: int64) = a / b

    /// x ** v (elementwise power).
    static member Power(x: torch.Tensor, v: float) = (use s = v.ToScalar() in x.pow(s))
    /// x ** v.
    static member Power(x: torch.Tensor, v: int) = (use s = (int64 v).ToScalar() in x.pow(s))
    /// x ** e, elementwise exponents.
    static member Power(x: torch.Tensor, e: torch.Tensor) = x.pow(e)
    /// Ordinary power.
    static member Power(a: float, b: float) = a ** b
    /// Ordinary power.
    static member Power(a: float32, b: float32) = a ** b

/// Tensor operators that are safe from TorchSharp's Scalar race by construction: `open Functional.FSharp.TensorOperators`
/// and `a + b`, `x * 2.0`, `1.0 - x`, `x / 4`, `x ** 2.0` hold their Scalars for the whole native call (see
/// `ScalarSafe`). They shadow F#'s `+ - * / **` in the code that opens the module: on tensors (with tensors, floats,
/// ints and held Scalars) and on float, float32, int, int64 (and `+` on strings), the ordinary meaning. Operand types
/// must be known where an operator is used (annotate a lambda's parameter if F# cannot infer it); other numeric types
/// keep the qualified `Operators.(+)`.
module TensorOperators =
    /// The dispatch of the operators to `ScalarSafe` (public only because the operators are inline).
    module Dispatch =
        /// `ScalarSafe.Add` for the operand types.
        let inline add (_: ^W) (a: ^A) (b: ^B) : ^R = ((^W or ^A or ^B): (static member Add: ^A * ^B -> ^R) (a, b))
        /// `ScalarSafe.Subtract` for the operand types.
        let inline subtract (_: ^W) (a: ^A) (b: ^B) : ^R = ((^W or ^A or ^B): (static member Subtract: ^A * ^B -> ^R) (a, b))
        /// `ScalarSafe.Multiply` for the operand types.
        let inline multiply (_: ^W) (a: ^A) (b: ^B) : ^R = ((^W or ^A or ^B): (static member Multiply: ^A * ^B -> ^R) (a, b))
        /// `ScalarSafe.Divide` for the operand types.
        let inline divide (_: ^W) (a: ^A) (b: ^B) : ^R = ((^W or ^A or ^B): (static member Divide: ^A * ^B -> ^R) (a, b))
        /// `ScalarSafe.Power` for the operand types.
        let inline power (_: ^W) (a: ^A) (b: ^B) : ^R = ((^W or ^A or ^B): (static member Power: ^A * ^B -> ^R) (a, b))

    /// a + b with every Scalar held (ordinary addition on numbers and strings).
    let inline (+) a b = Dispatch.add Unchecked.defaultof<ScalarSafe> a b
    /// a - b with every Scalar held.
    let inline (-) a b = Dispatch.subtract Unchecked.defaultof<ScalarSafe> a b
    /// a * b with every Scalar held.
    let inline (*) a b = Dispatch.multiply Unchecked.defaultof<ScalarSafe> a b
    /// a / b with every Scalar held.
    let inline (/) a b = Dispatch.divide Unchecked.defaultof<ScalarSafe> a b
    /// a ** b with every Scalar held.
    let inline ( ** ) a b = Dispatch.power Unchecked.defaultof<ScalarSafe> a b
