/// "The same program three ways" (docs/articles/three-ways.md), the F# way: a two-layer regressor of y = sin(x1 + x2 + x3) as an F#
/// record and functions, Adam clipped and averaged, five epochs of eight batches with the core's pure step.
module Functional.FSharpExamples.ThreeWays

open TorchSharp
open Functional.Core
open Functional.Optimizers
open Functional.Training
open Functional.FSharp

type Regressor = { Hidden: LinearParams; Output: LinearParams }
type Batch = { X: torch.Tensor; Y: torch.Tensor }

let loss =
    ModelLoss<Regressor, NoState, Batch>(fun model batch _ ->
        let prediction = Linear.Apply(model.Output, Linear.Apply(model.Hidden, batch.X) |> Activations.Tanh)
        ModelOutput.Of((prediction - batch.Y).pow(Scalars.Two).mean()))

let optimizer = Optimizer.Adam(0.03) |> Pipeline.clipByGlobalNorm 1.0 |> Pipeline.withEma 0.9

/// The training loss of every step, trained on the given device.
let run (device: torch.Device) =
    use generator = new torch.Generator(7UL, device)
    let model = { Hidden = Linear.Init(generator, 3, 16, device); Output = Linear.Init(generator, 16, 1, device) }
    let batches = List.init 8 (fun _ -> let x = torch.randn([| 16L; 3L |], device = device, generator = generator) in { X = x; Y = x.sum(1L, keepdim = true).sin() })
    [ for _ in 1..5 do yield! batches ]
    |> List.fold (fun (state, losses) batch ->
        let result = TrainingSteps.Step(loss, optimizer, state, batch)
        result.State, result.Metrics.["loss"] :: losses) (TrainState.Init(model, NoState.Value, optimizer, 7UL), [])
    |> snd |> List.rev
