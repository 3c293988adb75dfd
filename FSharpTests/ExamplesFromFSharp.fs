/// The F# examples (FSharpExamples) run: a model of F# records and functions, an optimizer composed with |> around
/// a custom object-expression stage, trained with the core's pure step.
module Functional.FSharpTests.ExamplesFromFSharp

open Xunit
open TorchSharp
open Functional.Core
open Functional.Optimizers
open Functional.FSharpExamples
open Functional.FSharp

let mean (values: float list) = List.average values

[<Fact>]
let ``the quadrant classifier learns, its frozen norm stays put and its EMA weights classify held-out points`` () =
    let outcome = Quadrants.train torch.CPU 3UL 120
    let first = outcome.Losses |> List.take 20 |> mean
    let last = outcome.Losses |> List.skip 100 |> mean
    Assert.True(last < first / 2.0, sprintf "loss %f -> %f" first last)
    Assert.True(outcome.Accuracy > 0.9, sprintf "held-out accuracy %f" outcome.Accuracy)
    use generator = new torch.Generator(3UL)
    let initial = Quadrants.init generator torch.CPU 16
    Assert.Equal<float32[]>(initial.Norm.Weight.data<float32>().ToArray(), outcome.Final.Parameters.Norm.Weight.data<float32>().ToArray())
    Assert.Equal<float32[]>(initial.Norm.Bias.data<float32>().ToArray(), outcome.Final.Parameters.Norm.Bias.data<float32>().ToArray())

[<Fact>]
let ``the pipeline composed with |> is the core value written out`` () =
    let expected =
        Accumulate(
            Chain(Chain(Chain(ClipByGlobalNorm(1.0), Optimizer.Adam(0.1)), PathMultipliers([| PathRule.Freeze "norm/*" |])), ParameterEma(0.9, false)),
            2)
    let composed =
        Optimizer.Adam(0.1)
        |> Pipeline.clipByGlobalNorm 1.0
        |> Pipeline.pathRules [ PathRule.Freeze "norm/*" ]
        |> Pipeline.withEma 0.9
        |> Pipeline.accumulate 2
    Assert.Equal<IGradientTransformation>(expected, composed)

[<Fact>]
let ``the typed stage keeps an F# record as its state, which checkpoints like any state`` () =
    use scope = torch.NewDisposeScope()
    let stage = Quadrants.signMomentum 0.5
    let parameters = [| TreeLeaf("w", torch.zeros(3L)) |]
    let gradients = [| TreeLeaf("w", torch.tensor [| 2.0f; -4.0f; 0.0f |]) |]
    let result = stage.Update(gradients, stage.Init(parameters), parameters)
    Assert.Equal<float32[]>([| 1.0f; -1.0f; 0.0f |], result.Updates.[0].Value.data<float32>().ToArray())
    Assert.Equal<float32[]>([| 1.0f; -2.0f; 0.0f |], result.State.Averages.[0].data<float32>().ToArray())
    let flat = OptimizerStates.Flatten(result.State)
    Assert.Equal<string[]>([| "averages/w" |], flat |> Seq.map (fun leaf -> leaf.Path) |> Seq.toArray)
    let stored = flat |> Seq.map (fun leaf -> TreeLeaf(leaf.Path, leaf.Value.clone())) |> Seq.toArray
    let decoded = OptimizerStates.Restore(stage.Init(parameters), stored)
    Assert.True(OptimizerStates.Equal(result.State, decoded))

[<Fact>]
let ``the README's F# program trains: the last epoch's loss is under half the first's`` () =
    let losses = ThreeWays.run torch.CPU
    Assert.Equal(40, losses.Length)
    let first = losses |> List.take 8 |> mean
    let last = losses |> List.skip 32 |> mean
    Assert.True(last < first / 2.0, sprintf "loss %f -> %f" first last)
