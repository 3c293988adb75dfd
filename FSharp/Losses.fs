/// Losses from F# functions, without constructing the `ModelLoss` delegate by hand.
module Functional.FSharp.Loss

open System.Collections.Generic
open TorchSharp
open Functional.Core
open Functional.Training

/// A loss inside a stateless model from a curried F# function of the parameters, the batch and the step context.
let ofFunction (loss: 'Params -> 'Batch -> StepContext -> ModelOutput) =
    ModelLoss<'Params, NoState, 'Batch>(fun p b c -> loss p b c :> ModelOutput<NoState>)

/// A loss inside a model with non-trained state ('State, a record of tensors such as batch-norm statistics): the function
/// reads the state from the context (`context.State`, typed, no cast) and returns the next one in `NextState`.
let ofStatefulFunction (loss: 'Params -> 'Batch -> StepContext<'State> -> ModelOutput<'State>) =
    ModelLoss<'Params, 'State, 'Batch>(fun p b c -> loss p b c)

/// A loss that reports only itself (its tensor is the `loss` metric), from a function that ignores the context.
let scalar (loss: 'Params -> 'Batch -> torch.Tensor) =
    ModelLoss<'Params, NoState, 'Batch>(fun p b _ -> ModelOutput.Of(loss p b) :> ModelOutput<NoState>)

/// A loss with named metrics (each a 0-d tensor computed in the same pass), from a function that ignores the context.
let withMetrics (loss: 'Params -> 'Batch -> torch.Tensor * (string * torch.Tensor) list) =
    ModelLoss<'Params, NoState, 'Batch>(fun p b _ ->
        let value, metrics = loss p b
        ModelOutput(value, Dictionary<string, torch.Tensor>(metrics |> Seq.map KeyValuePair) :> IReadOnlyDictionary<_, _>) :> ModelOutput<NoState>)
