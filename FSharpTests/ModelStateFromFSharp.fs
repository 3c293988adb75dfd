/// Model state from F#: an F# record of batch-norm statistics is the model's non-trained state, read from the step
/// context (typed: no cast) and returned beside the loss, threaded by the core's pure step, untouched by evaluation.
module Functional.FSharpTests.ModelStateFromFSharp

open Xunit
open TorchSharp
open Functional.Core
open Functional.Optimizers
open Functional.Training

type Regressor = { Norm: BatchNormParams; Output: LinearParams }

/// The model state: an F# record, a tree like the parameters.
type Stats = { Norm: BatchNormStats }

type Batch = { Inputs: torch.Tensor; Targets: torch.Tensor }

let loss =
    ModelLoss<Regressor, Stats, Batch>(fun model batch context ->
        let stats = context.State
        let normalised = BatchNorm.Apply(model.Norm, stats.Norm, batch.Inputs, context.Training)
        let error = Linear.Apply(model.Output, normalised.Output).sub(batch.Targets)
        let squared = error.pow(Scalars.Two).mean()
        if context.Training then ModelOutput<Stats>(squared, readOnlyDict [], NextState = { Norm = normalised.Stats })
        else ModelOutput<Stats>(squared, readOnlyDict []))

let sameBytes (a: torch.Tensor) (b: torch.Tensor) = a.data<float32>().ToArray() = b.data<float32>().ToArray()

[<Fact>]
let ``an F# record of batch-norm statistics is threaded by the step and read, not changed, by evaluation`` () =
    use generator = new torch.Generator(5UL)
    let model = { Norm = BatchNorm.Init(4, torch.CPU); Output = Linear.Init(generator, 4, 1, torch.CPU) }
    let optimizer = Optimizer.Adam(0.01)
    let batches =
        List.init 3 (fun _ ->
            let inputs = torch.randn([| 8L; 4L |], generator = generator).mul(Scalars.Two).add(Scalars.One, Scalars.One)
            { Inputs = inputs; Targets = inputs.sum(1L, keepdim = true) })
    let start = TrainState.Init(model, { Norm = BatchNorm.InitStats(4, torch.CPU) }, optimizer, 1UL)
    let final = batches |> List.fold (fun state batch -> (TrainingSteps.Step(loss, optimizer, state, batch)).State) start

    // The same statistics by hand: the layer applied to the batches in turn.
    let expected =
        batches |> List.fold (fun (stats: BatchNormStats) batch -> BatchNorm.Apply(model.Norm, stats, batch.Inputs, true).Stats) (BatchNorm.InitStats(4, torch.CPU))
    let stats = final.ModelState.Norm
    Assert.True(sameBytes expected.RunningMean stats.RunningMean)
    Assert.True(sameBytes expected.RunningVar stats.RunningVar)
    Assert.Equal(3L, stats.BatchesTracked.item<int64>())
    Assert.Equal<string list>([ "norm/running_mean"; "norm/running_var"; "norm/num_batches_tracked" ], Tree.Flatten(final.ModelState) |> Seq.map (fun leaf -> leaf.Path) |> List.ofSeq)

    let before = stats.RunningMean.clone()
    let metrics = TrainingSteps.Evaluate(loss, final.Parameters, final.ModelState, [ batches.Head ])
    Assert.True(System.Double.IsFinite metrics.["loss"])
    Assert.True(sameBytes before stats.RunningMean)
