/// Functional.FSharp.TensorOperators: each operator computes exactly what TorchSharp's own operation computes with a
/// held Scalar (bitwise, on random values and random scalars), ordinary numbers keep their meaning, and the operators
/// give the same results while another thread forces garbage collections with finalizers (the Scalar race).
module Functional.FSharpTests.TensorOperatorsTests

open System
open System.Threading
open Xunit
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open Functional.Core
open Functional.FSharp.TensorOperators

let private values (t: torch.Tensor) = t.data<float32>().ToArray()

/// Random finite float32 vectors (length 1-16) and a finite double scalar.
let private vector (seed: int) (length: int) =
    use generator = new torch.Generator(uint64 (abs seed))
    torch.randn([| int64 (1 + abs length % 16) |], generator = generator)

let private finite (v: float) = if Double.IsFinite v then v % 1000.0 else 0.5

[<Property(MaxTest = 200)>]
let ``tensor with tensor equals TorchSharp's own operation`` (seed: int) (length: int) =
    use scope = torch.NewDisposeScope()
    let a = vector seed length
    let b = vector (seed + 1) length
    values (a + b) = values (a.add(b, Scalars.One))
    && values (a - b) = values (a.sub(b))
    && values (a * b) = values (a.mul(b))
    && values (a / b) = values (a.div(b))

[<Property(MaxTest = 200)>]
let ``tensor with a float equals TorchSharp's operation with a held Scalar`` (seed: int) (length: int) (v: float) =
    use scope = torch.NewDisposeScope()
    let v = finite v
    let x = vector seed length
    use s = v.ToScalar()
    values (x + v) = values (x.add(s, Scalars.One))
    && values (v + x) = values (x.add(s, Scalars.One))
    && values (x - v) = values (x.sub(s))
    && values (v - x) = values (x.neg().add(s, Scalars.One))
    && values (x * v) = values (x.mul(s))
    && values (v * x) = values (x.mul(s))
    && values (x / v) = values (x.div(s))
    && values (v / x) = values (x.reciprocal().mul(s))
    && values (x ** 2.0) = values (x.pow(Scalars.Two))

[<Property(MaxTest = 200)>]
let ``tensor with an int equals TorchSharp's operation with a held Scalar`` (seed: int) (length: int) (n: int) =
    use scope = torch.NewDisposeScope()
    let n = n % 1000
    let x = vector seed length
    use s = (int64 n).ToScalar()
    values (x + n) = values (x.add(s, Scalars.One))
    && values (n - x) = values (x.neg().add(s, Scalars.One))
    && values (x * n) = values (x.mul(s))
    && values (x / (if n = 0 then 1 else n)) = values (x.div(if n = 0 then Scalars.One else s))

[<Property(MaxTest = 200)>]
let ``the C# SafeArithmetic methods equal TorchSharp's operations with held Scalars, and the F# operators`` (seed: int) (length: int) (v: float) (n: int) =
    use scope = torch.NewDisposeScope()
    let v = finite v
    let n = int64 (n % 1000)
    let x = vector seed length
    let y = vector (seed + 7) length
    use s = v.ToScalar()
    use sn = n.ToScalar()
    values (x.Plus(y)) = values (x.add(y, Scalars.One)) && values (x.Plus(y)) = values (x + y)
    && values (x.Plus(v)) = values (x.add(s, Scalars.One)) && values (x.Plus(n)) = values (x.add(sn, Scalars.One))
    && values (x.Minus(y)) = values (x.sub(y)) && values (x.Minus(v)) = values (x.sub(s)) && values (x.Minus(n)) = values (x.sub(sn))
    && values (x.SubtractedFrom(v)) = values (x.neg().add(s, Scalars.One)) && values (x.SubtractedFrom(v)) = values (v - x)
    && values (x.SubtractedFrom(n)) = values (x.neg().add(sn, Scalars.One))
    && values (x.Times(y)) = values (x.mul(y)) && values (x.Times(v)) = values (x.mul(s)) && values (x.Times(n)) = values (x.mul(sn))
    && values (x.DividedBy(y)) = values (x.div(y)) && values (x.DividedBy(v)) = values (x.div(s))
    && values (x.DividedInto(v)) = values (x.reciprocal().mul(s)) && values (x.DividedInto(v)) = values (v / x)
    && values (x.Squared()) = values (x.pow(Scalars.Two)) && values (x.Squared()) = values (x ** 2)

[<Property(MaxTest = 200)>]
let ``ordinary numbers and strings keep their meaning where the module is open`` (a: int) (b: int) (x: float) (y: float) (s: string) =
    let same (p: float) (q: float) = p = q || (Double.IsNaN p && Double.IsNaN q)
    a + b = Operators.(+) a b && a - b = Operators.(-) a b && a * b = Operators.(*) a b
    && (b = 0 || a / b = Operators.(/) a b)
    && same (x + y) (Operators.(+) x y) && same (x * y) (Operators.(*) x y) && same (x / y) (Operators.(/) x y)
    && same (x - y) (Operators.(-) x y)
    && int64 a + int64 b = Operators.(+) (int64 a) (int64 b)
    && s + "!" = String.Concat(s, "!")

/// A thread that forces gen0 collections (and a full one every 64 rounds) with finalizers run, until disposed: the
/// other thread of TorchSharp's Scalar race (PropertyTests/Native/ScalarRace/FinalizingCollector.cs is the C# one).
type private Collector() =
    let mutable stopping = false
    let mutable rounds = 0L
    let thread =
        Thread((fun () ->
            while not (Volatile.Read(&stopping)) do
                let round = Interlocked.Increment(&rounds)
                GC.Collect(if round % 64L = 0L then GC.MaxGeneration else 0)
                GC.WaitForPendingFinalizers()
                Array.init 64 (fun _ -> Array.zeroCreate<byte> 1024) |> ignore), IsBackground = true)
    do thread.Start()
    member _.Rounds = Interlocked.Read(&rounds)
    interface IDisposable with
        member _.Dispose() = Volatile.Write(&stopping, true); thread.Join()

[<Fact>]
let ``the operators give the same values while another thread forces collections and finalizers`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.linspace(-2.0, 2.0, 64L)
    let y = torch.linspace(1.0, 3.0, 64L)
    let compute () =
        use inner = torch.NewDisposeScope()
        let z = ((x * 1.5 + y) * 0.25 - 2.0 / y + 1 - x) ** 2.0
        values z
    let expected = compute ()
    use collector = new Collector()
    let wrong = Seq.init 3000 (fun _ -> compute ()) |> Seq.filter (fun v -> v <> expected) |> Seq.length
    Assert.True(collector.Rounds > 0L, "the collector thread forced no collection")
    Assert.Equal(0, wrong)
