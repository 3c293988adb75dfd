/// The core used from F# as it is: F# records as parameter trees, library layers as fields, pure functions,
/// ValueAndGrad and GradCheck — no adapter layer.
module Functional.FSharpTests.CoreFromFSharp

open Xunit
open TorchSharp
open Functional.Core

/// A model defined in F#: library layer records as fields, an F# list of layers, an optional tensor.
type Mlp =
    { Hidden: LinearParams
      Extra: LinearParams list
      Output: LinearParams
      Temperature: torch.Tensor option }

let init (generator: torch.Generator) depth =
    { Hidden = Linear.Init(generator, 3, 8, torch.CPU)
      Extra = List.init depth (fun _ -> Linear.Init(generator, 8, 8, torch.CPU))
      Output = Linear.Init(generator, 8, 1, torch.CPU)
      Temperature = Some(torch.ones(1L)) }

let apply (model: Mlp) (input: torch.Tensor) =
    let hidden =
        model.Extra
        |> List.fold (fun h layer -> Linear.Apply(layer, h) |> Activations.Tanh) (Linear.Apply(model.Hidden, input) |> Activations.Tanh)
    let output = Linear.Apply(model.Output, hidden)
    match model.Temperature with
    | Some temperature -> output / temperature
    | None -> output

let meanSquaredError model (input: torch.Tensor) (target: torch.Tensor) = (apply model input - target).pow(Scalars.Two).mean()

[<Fact>]
let ``an F# record is a parameter tree with readable paths`` () =
    use generator = new torch.Generator(1UL)
    let model = init generator 2
    let expected =
        [ "hidden/weight"; "hidden/bias"
          "extra/0/weight"; "extra/0/bias"; "extra/1/weight"; "extra/1/bias"
          "output/weight"; "output/bias"; "temperature" ]
    Assert.Equal<string list>(expected, Tree.Paths model |> List.ofSeq)

[<Fact>]
let ``rebuilding an F# record keeps its lists and options`` () =
    use generator = new torch.Generator(2UL)
    let model = { init generator 3 with Temperature = None }
    let doubled = Tree.Map(model, fun t -> t.mul(Scalars.Two))
    Assert.Equal(3, doubled.Extra.Length)
    Assert.True(doubled.Temperature.IsNone)
    Assert.Equal(Tree.LeafCount model, Tree.LeafCount doubled)

[<Fact>]
let ``gradient descent written with Tree.Zip lowers the loss of an F# model`` () =
    use generator = new torch.Generator(3UL)
    let input = torch.randn([| 32L; 3L |], generator = generator)
    let target = input.sum(1L, keepdim = true).sin()
    let step (model: Mlp) =
        Memory.Scoped(fun () ->
            let result = Autodiff.ValueAndGrad((fun m -> meanSquaredError m input target), model)
            use rate = (0.1).ToScalar()
            Tree.Zip(model, result.Gradient, fun p g -> p - rate * g))
    let before = (meanSquaredError (init generator 1) input target).item<float32>()
    let trained = Seq.fold (fun model _ -> step model) (init generator 1) (seq { 1..200 })
    let after = (meanSquaredError trained input target).item<float32>()
    Assert.True(after < before / 2.0f, sprintf "loss went from %f to %f" before after)

[<Fact>]
let ``GradCheck passes on an F# model`` () =
    use generator = new torch.Generator(4UL)
    let input = torch.randn([| 4L; 3L |], dtype = torch.float64, generator = generator)
    let target = torch.randn([| 4L; 1L |], dtype = torch.float64, generator = generator)
    let report = GradCheck.Run((fun m -> meanSquaredError m input target), init generator 1, GradCheckOptions.Default)
    Assert.True(report.Passed, report.ToString())

[<Fact>]
let ``a wrong input width through ValueAndGrad names the F# field path`` () =
    use generator = new torch.Generator(5UL)
    let model = init generator 2
    let input = torch.randn(4L, 5L)
    let error =
        Assert.Throws<LayerInputException>(fun () ->
            Autodiff.ValueAndGrad((fun m -> (apply m input).sum()), model) |> ignore)
    Assert.Equal("hidden", error.Path)
    Assert.Contains("[4, 5]", error.Message)

// The F# example of README.md and of the tour (docs/articles/tour.md), as written there.
type Regressor = { Body: FeedForwardParams; Head: LinearParams }

let loss model (x: torch.Tensor) (y: torch.Tensor) =
    (Linear.Apply(model.Head, FeedForward.Apply(model.Body, x)) - y).pow(Scalars.Two).mean()

let step x y (model: Regressor) =
    Memory.Scoped(fun () ->
        let result = Autodiff.ValueAndGrad((fun m -> loss m x y), model)
        use rate = (0.05).ToScalar()   // held across the native calls that read it (see Scalars)
        Tree.Zip(model, result.Gradient, fun p g -> p - rate * g))

[<Fact>]
let ``the README's F# tour trains`` () =
    use generator = new torch.Generator(6UL)
    let model =
        { Body = FeedForward.Init(generator, 3, 16, 16, Activation.Gelu, torch.CPU)
          Head = Linear.Init(generator, 16, 1, torch.CPU) }
    let x = torch.randn([| 64L; 3L |], generator = generator)
    let y = x.sum(1L, keepdim = true).sin()
    let trained = Seq.fold (fun m _ -> step x y m) model (seq { 1..100 })
    Assert.True((loss trained x y).item<float32>() < (loss model x y).item<float32>() / 2.0f)
