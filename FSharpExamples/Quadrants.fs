/// A classifier of the quadrant parity of 2-d points (XOR: the label is 1 when x * y > 0), written in F#: the model
/// is an F# record of library layer records, its forward pass and loss are F# functions, a custom gradient
/// transformation is two typed F# functions (Stage.create; no cast of its state), and the optimizer is composed with |>.
module Functional.FSharpExamples.Quadrants

open TorchSharp
open Functional.Core
open Functional.Optimizers
open Functional.Training
open Functional.FSharp
open System.Collections.Generic

/// The model: library layer records as fields, so its tree paths are hidden/weight, norm/weight, ... with no code.
type Classifier = { Hidden: LinearParams; Norm: LayerNormParams; Output: LinearParams }

/// A batch: points [n, 2] and their labels [n] (0 or 1).
type Batch = { Points: torch.Tensor; Labels: torch.Tensor }

/// A fresh classifier with the given hidden width on the given device (the generator must be on it too).
let init (generator: torch.Generator) (device: torch.Device) hidden =
    { Hidden = Linear.Init(generator, 2, hidden, device)
      Norm = LayerNorm.Init(hidden, device)
      Output = Linear.Init(generator, hidden, 2, device) }

/// The logits [n, 2]; dropout draws from the context's generator while training.
let forward (model: Classifier) (points: torch.Tensor) (context: StepContext) =
    let hidden = LayerNorm.Apply(model.Norm, Linear.Apply(model.Hidden, points)) |> Activations.Relu
    Linear.Apply(model.Output, Dropout.Apply(hidden, 0.1, context.Training, context.Generator))

/// The loss inside the model: cross-entropy, with the accuracy as a metric.
let loss =
    ModelLoss<Classifier, NoState, Batch>(fun model batch context ->
        let logits = forward model batch.Points context
        let accuracy = logits.argmax(1L).eq(batch.Labels).to_type(torch.float32).mean()
        ModelOutput(torch.nn.functional.cross_entropy(logits, batch.Labels), readOnlyDict [ "accuracy", accuracy ]))

/// n points drawn uniformly from [-1, 1]^2 with their quadrant-parity labels, on the generator's device.
let batch (generator: torch.Generator) n =
    let points = torch.rand([| n; 2L |], device = generator.device, generator = generator).mul(Scalars.Two).sub(Scalars.One)
    { Points = points; Labels = (points.select(1, 0L) * points.select(1, 1L)).gt(torch.zeros(1, device = generator.device)).to_type(torch.int64) }

/// The state of signMomentum: one running average per parameter, named by the parameter's path in checkpoints
/// (ParameterTensors; an F# record is a state as it is).
type SignMomentumState = { Averages: ParameterTensors }

/// A custom gradient transformation from two typed F# functions (Stage.create): keeps an exponential average of the
/// gradients and returns its sign (a Lion-like direction). Pure: returns fresh tensors and a new state. Its state is
/// typed (a SignMomentumState, never cast); the core sees an IGradientTransformation.
let signMomentum (decay: float) =
    Stage.create "signMomentum"
        (fun parameters -> { Averages = ParameterTensors.Of(parameters, parameters |> Seq.map (fun p -> torch.zeros_like(p.Value)) |> Array.ofSeq) })
        (fun gradients state _parameters ->
            use kept = decay.ToScalar()
            use added = (1.0 - decay).ToScalar()
            let averages = Array.init gradients.Count (fun i -> state.Averages.[i].mul(kept).add(gradients.[i].Value.mul(added), Scalars.One))
            let updates = Array.init gradients.Count (fun i -> TreeLeaf(gradients.[i].Path, averages.[i].sign()))
            updates :> IReadOnlyList<TreeLeaf>, { Averages = state.Averages.With(averages) })

/// The optimizer: the custom stage, a learning rate, then clipping, a frozen normalisation, an EMA and
/// accumulation over 2 micro-batches, composed with |>.
let optimizer =
    Chain(signMomentum 0.9 :> IGradientTransformation, ScaleByLearningRate(0.02))
    |> Pipeline.clipByGlobalNorm 1.0
    |> Pipeline.pathRules [ PathRule.Freeze "norm/*" ]
    |> Pipeline.withEma 0.9
    |> Pipeline.accumulate 2

/// What a training run reports.
type Outcome = { Final: TrainState<Classifier, NoState>; Losses: float list; Accuracy: float }

/// Trains with the core's pure step, one state after the other (each previous state released), then evaluates
/// the EMA weights on a held-out batch; everything on the given device.
let train (device: torch.Device) (seed: uint64) steps =
    use generator = new torch.Generator(seed, device)
    let initial = init generator device 16
    let batches = List.init 8 (fun _ -> batch generator 64L)
    let heldOut = batch generator 512L
    let final, losses =
        List.init steps (fun i -> batches.[i % batches.Length])
        |> List.fold (fun (state: TrainState<Classifier, NoState>, losses) batch ->
            let result = TrainingSteps.Step(loss, optimizer, state, batch)
            TrainState.Dispose state
            result.State, result.Metrics.["loss"] :: losses) (TrainState.Init(initial, NoState.Value, optimizer, seed), [])
    let averaged = TrainingSteps.EvaluationParameters final
    let metrics = TrainingSteps.Evaluate(loss, averaged, NoState.Value, [ heldOut ])
    { Final = final; Losses = List.rev losses; Accuracy = metrics.["accuracy"] }
