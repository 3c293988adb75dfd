/// Observers of `Fit.Run` from F# functions, without object expressions over the generic `IFitObserver` members.
module Functional.FSharp.Observe

open System.Collections.Generic
open Functional.Training

/// Calls `f` with each epoch's report; training goes on.
let epochs (f: EpochReport -> unit) : IFitObserver = EpochCallback(fun report -> f report; FitDecision.Continue)

/// Decides after each epoch, from its report, whether training goes on (`FitDecision.Continue`) or stops.
let decideAfterEpoch (f: EpochReport -> FitDecision) : IFitObserver = EpochCallback(fun report -> f report)

/// Calls `f` with the epoch (0-based, as in EpochReport) and the metrics of each training step (`loss` and the model's own metrics).
let steps (f: int -> IReadOnlyDictionary<string, float> -> unit) : IFitObserver =
    { new IFitObserver with
        member _.StepFinished<'TParams, 'TModelState>(step: StepEnd<'TParams, 'TModelState>) = f step.Epoch step.Metrics }
