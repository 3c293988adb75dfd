/// The optimizers used from F#: a stage written as an object expression, chained with library stages built by
/// their plain constructors, on an F# record of parameters.
module Functional.FSharpTests.OptimizersFromFSharp

open Xunit
open TorchSharp
open Functional.Core
open Functional.Optimizers

type Model = { W: torch.Tensor; B: torch.Tensor }

/// signSGD's direction: every gradient replaced by its sign. Stateless.
let signStage =
    { new IGradientTransformation with
        member _.Init(_parameters) = EmptyState.Instance :> obj
        member _.Update(gradients, state, _parameters) =
            TransformResult(gradients |> Seq.map (fun g -> TreeLeaf(g.Path, g.Value.sign())) |> Seq.toArray, state) }

[<Fact>]
let ``An object expression is a gradient transformation that chains with library stages`` () =
    use scope = torch.NewDisposeScope()
    let model = { W = torch.tensor [| 1.0; -2.0 |]; B = torch.tensor [| 0.5 |] }
    let gradients = { W = torch.tensor [| 0.3; -4.0 |]; B = torch.tensor [| -0.0001 |] }
    let pipeline = Chain(signStage, ScaleByLearningRate(0.1))
    let step = Optimizer.Step(pipeline, gradients, Optimizer.Init(pipeline, model), model)
    Assert.True(step.Parameters.W.allclose(torch.tensor [| 0.9; -1.9 |], 1e-15, 1e-15))
    Assert.True(step.Parameters.B.allclose(torch.tensor [| 0.6 |], 1e-15, 1e-15))
    Assert.Equal<float[]>([| 1.0; -2.0 |], model.W.data<float>().ToArray())

[<Fact>]
let ``Library stages have plain constructors and their states read back as trees`` () =
    use scope = torch.NewDisposeScope()
    let model = { W = torch.ones(3L); B = torch.zeros(1L) }
    use two = (2.0f).ToScalar()
    let gradients = { W = torch.full(3L, two); B = torch.ones(1L) }
    let pipeline = Accumulate(Chain(ScaleByAdam(0.9, 0.999, 1e-8), ScaleByLearningRate(0.01), ParameterEma(0.5, false)), 2)
    let first = Optimizer.Step(pipeline, gradients, Optimizer.Init(pipeline, model), model)
    Assert.Equal<float32[]>(model.W.data<float32>().ToArray(), first.Parameters.W.data<float32>().ToArray())
    let second = Optimizer.Step(pipeline, gradients, first.State, first.Parameters)
    let average = ParameterEma.Average(second.State, model)
    // One real Adam step moves every parameter by lr (|m_hat / sqrt(v_hat)| = 1); the average is halfway there.
    use stepped = (0.99f).ToScalar()
    use halfway = (0.995f).ToScalar()
    Assert.True(second.Parameters.W.allclose(torch.full(3L, stepped), 1e-6, 1e-6))
    Assert.True(average.W.allclose(torch.full(3L, halfway), 1e-6, 1e-6))
    Assert.Contains("microStep = 0", OptimizerStates.Describe(second.State))
