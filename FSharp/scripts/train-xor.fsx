// Trains a small classifier of the quadrant parity of 2-d points (XOR) in dotnet fsi, from the packages alone:
//   dotnet fsi train-xor.fsx
// CI runs it from .ci/consumer-test against the freshly packed local feed (there the first line gets that version).
#r "nuget: Functional.FSharp"
#r "nuget: libtorch-cpu-linux-x64, 2.10.0"

// Before the first tensor: find TorchSharp's native library and libtorch in the NuGet cache and load them (with the
// libstdc++ fix a build would apply on Debian 12 and Ubuntu 22.04).
Functional.FSharp.NativeLibraries.load () |> printfn "native libraries: %A"

open TorchSharp
open Functional.Core
open Functional.Optimizers
open Functional.Training
open Functional.FSharp
open Functional.FSharp.TensorOperators   // a + b, x * 2.0 ... hold their Scalars

torch.set_num_threads 1

type Model = { Hidden: LinearParams; Output: LinearParams }
type Batch = { Points: torch.Tensor; Labels: torch.Tensor }

let init (generator: torch.Generator) =
    { Hidden = Linear.Init(generator, 2, 16, torch.CPU); Output = Linear.Init(generator, 16, 2, torch.CPU) }

let logits (model: Model) (points: torch.Tensor) = Linear.Apply(model.Output, Linear.Apply(model.Hidden, points) |> Activations.Tanh)

let loss =
    Loss.withMetrics (fun (model: Model) (batch: Batch) ->
        let scores = logits model batch.Points
        let accuracy = scores.argmax(1L).eq(batch.Labels).to_type(torch.float32).mean()
        torch.nn.functional.cross_entropy(scores, batch.Labels), [ ("accuracy", accuracy) ])

let batch (generator: torch.Generator) n =
    let points = torch.rand([| n; 2L |], generator = generator) * 2.0 - 1.0
    { Points = points; Labels = (points.select(1, 0L) * points.select(1, 1L)).gt(torch.zeros(1)).to_type(torch.int64) }

let optimizer = Optimizer.Adam 0.05 |> Pipeline.clipByGlobalNorm 1.0 |> Pipeline.withEma 0.9

let generator = new torch.Generator(7UL)
let batches = List.init 8 (fun _ -> batch generator 64L)
let heldOut = batch generator 512L
let options =
    FitOptions.Default
    |> Options.epochs 15
    |> Options.observers [ Observe.epochs (fun report -> printfn "epoch %2d  loss %.4f" report.Epoch report.Train.["loss"]) ]

let result =
    Fit.Run(loss, optimizer, TrainState.Init(init generator, NoState.Value, optimizer, 7UL),
            TrainingData<Batch>(batches.Length, fun position -> Seq.skip position.Batch batches),
            null, options, System.Threading.CancellationToken.None)

let metrics = TrainingSteps.Evaluate(loss, TrainingSteps.EvaluationParameters result.State, NoState.Value, [ heldOut ])
printfn "held-out accuracy %.3f" metrics.["accuracy"]
if metrics.["accuracy"] < 0.9 then failwithf "the script's model did not learn: held-out accuracy %f" metrics.["accuracy"]
