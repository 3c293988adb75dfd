/// Typed optimizer stages from F# (Functional.FSharp.Stage): the stage's state is an F# record read without a cast,
/// both from its own typed update and from inside a whole pipeline's state, and the core's untyped entry refuses a
/// state of another type, naming both types.
module Functional.FSharpTests.StageFromFSharp

open System
open Xunit
open FsCheck.Xunit
open TorchSharp
open Functional.Core
open Functional.Optimizers
open Functional.FSharp
open Functional.FSharpExamples

let private values (t: torch.Tensor) = t.data<float32>().ToArray()

/// Random parameters and gradients: two leaves of random lengths 1-8.
let private leaves (seed: int) =
    use generator = new torch.Generator(uint64 (abs seed))
    let random = Random(seed)
    let (a, b) = (int64 (random.Next(1, 9)), int64 (random.Next(1, 9)))
    let leaf path (n: int64) = TreeLeaf(path, torch.randn([| n |], generator = generator))
    [| leaf "a" a; leaf "b" b |], [| leaf "a" a; leaf "b" b |]

[<Property(MaxTest = 100)>]
let ``a typed stage's state is the one a pipeline keeps, found in the pipeline's state by type`` (seed: int) =
    use scope = torch.NewDisposeScope()
    let parameters, gradients = leaves seed
    let stage = Quadrants.signMomentum 0.5
    let pipeline = Chain(stage :> IGradientTransformation, ScaleByLearningRate(0.1)) :> IGradientTransformation
    let typed = stage.Update(gradients, stage.Init(parameters), parameters)
    let inPipeline = pipeline.Update(gradients, pipeline.Init(parameters), parameters)
    // The pipeline's update is -0.1 times the stage's (the sign of the average), and its state holds the stage's, typed.
    use rate = (-0.1).ToScalar()
    use half = 0.5.ToScalar()
    let found = inPipeline.State |> Stage.stateIn<Quadrants.SignMomentumState>
    found.IsSome
    && Seq.forall2 (fun (a: torch.Tensor) (b: torch.Tensor) -> values a = values b) typed.State.Averages found.Value.Averages
    && Seq.forall2 (fun (u: TreeLeaf) (t: TreeLeaf) -> u.Path = t.Path && values u.Value = values (t.Value.mul(rate))) inPipeline.Updates typed.Updates
    && Seq.forall2 (fun (a: torch.Tensor) (g: TreeLeaf) -> values a = values (g.Value.mul(half))) typed.State.Averages gradients

[<Fact>]
let ``a pipeline state without the stage's type gives None`` () =
    use scope = torch.NewDisposeScope()
    let parameters, _ = leaves 1
    let adam = Optimizer.Adam(0.1) :> IGradientTransformation
    Assert.Equal(None, adam.Init(parameters) |> Stage.stateIn<Quadrants.SignMomentumState>)

[<Fact>]
let ``the core's untyped entry refuses a state of another type, naming both types`` () =
    use scope = torch.NewDisposeScope()
    let parameters, gradients = leaves 2
    let stage = Quadrants.signMomentum 0.5 :> IGradientTransformation
    let error = Assert.Throws<ArgumentException>(fun () -> stage.Update(gradients, EmptyState.Instance :> obj, parameters) |> ignore)
    Assert.Contains("'signMomentum' keeps a SignMomentumState state but was given a EmptyState", error.Message)
