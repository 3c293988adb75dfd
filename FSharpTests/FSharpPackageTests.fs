/// Functional.FSharp: losses and observers from F# functions, copy-and-update of the C# option records, and the
/// native-library loader's ELF edit.
module Functional.FSharpTests.FSharpPackageTests

open System
open Xunit
open FsCheck.Xunit
open TorchSharp
open Functional.Core
open Functional.Optimizers
open Functional.Training
open Functional.FSharp

[<Property(MaxTest = 100)>]
let ``Record.set changes one property of a copy and leaves the original as it was`` (epochs: int) (ema: bool) =
    let epochs = 1 + abs (epochs % 1000)
    let original = FitOptions.Default
    let updated = original |> Options.epochs epochs |> Options.evaluateWithEma ema
    updated.Epochs = epochs && updated.EvaluateWithEma = ema
    && updated.StopOnNonFiniteLoss = original.StopOnNonFiniteLoss
    && original.Epochs = 1 && original.EvaluateWithEma = true
    && updated = (FitOptions(Epochs = epochs, EvaluateWithEma = ema))

[<Fact>]
let ``Record.set runs the record's validation and throws its own error`` () =
    let error = Assert.ThrowsAny<ArgumentException>(fun () -> FitOptions.Default |> Options.epochs 0 |> ignore)
    Assert.Contains("Epochs", error.Message)
    Assert.ThrowsAny<ArgumentException>(fun () -> FitOptions.Default |> Options.timeLimit (TimeSpan.FromSeconds -1.0) |> ignore) |> ignore

[<Fact>]
let ``Record.set works on any C# record, e.g. an optimizer's hyperparameters`` () =
    let adam = ScaleByAdam.Default |> Record.set <@ fun a -> a.B2 @> 0.95
    Assert.Equal(0.95, adam.B2)
    Assert.Equal(ScaleByAdam.Default.B1, adam.B1)
    Assert.Equal(ScaleByAdam(ScaleByAdam.Default.B1, 0.95, ScaleByAdam.Default.Eps), adam)
    Assert.ThrowsAny<ArgumentException>(fun () -> ScaleByAdam.Default |> Record.set <@ fun a -> a.B2 + 1.0 @> 0.5 |> ignore) |> ignore

type Batch = { X: torch.Tensor; Y: torch.Tensor }
type Model = { W: torch.Tensor }

[<Fact>]
let ``losses and observers from F# functions train with Fit.Run and see every step and epoch`` () =
    use scope = torch.NewDisposeScope()
    let loss = Loss.withMetrics (fun (m: Model) (b: Batch) -> let e = b.X.matmul(m.W).sub(b.Y) in e.pow(Scalars.Two).mean(), [ "abs", e.abs().mean() ])
    let steps = Collections.Generic.List<int * float>()
    let epochs = Collections.Generic.List<int>()
    let options =
        FitOptions.Default
        |> Options.epochs 3
        |> Options.observers [ Observe.steps (fun epoch metrics -> steps.Add((epoch, metrics.["abs"]))); Observe.epochs (fun r -> epochs.Add r.Epoch) ]
    use generator = new torch.Generator(5UL)
    let x = torch.randn([| 8L; 2L |], generator = generator)
    let batches = [ { X = x; Y = x.sum(1L, keepdim = true) } ]
    let state = TrainState.Init({ W = torch.zeros(2L, 1L) }, NoState.Value, Optimizer.Adam(0.1), 1UL)
    let result = Fit.Run(loss, Optimizer.Adam(0.1), state, TrainingData<Batch>(1, fun position -> Seq.skip position.Batch batches), null, options, Threading.CancellationToken.None)
    Assert.Equal<int list>([ 0; 1; 2 ], List.ofSeq epochs)
    Assert.Equal<int list>([ 0; 1; 2 ], steps |> Seq.map fst |> List.ofSeq)
    Assert.True(snd steps.[2] < snd steps.[0], sprintf "abs error %A" steps)
    ignore result

[<Fact>]
let ``Loss.scalar reports its value as the loss metric`` () =
    use scope = torch.NewDisposeScope()
    let loss = Loss.scalar (fun (m: Model) (b: Batch) -> b.X.mul(m.W).sum())
    let metrics = TrainingSteps.Evaluate(loss, { W = torch.ones(1L) }, NoState.Value, [ { X = torch.tensor [| 2.0f; 3.0f |]; Y = torch.zeros(1L) } ])
    Assert.Equal(5.0, metrics.["loss"])
