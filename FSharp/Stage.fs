namespace Functional.FSharp

open System.Collections.Generic
open Functional.Core
open Functional.Optimizers

/// What a typed stage's update returns: one update per gradient (same order, paths and shapes) and the next state.
type StageResult<'State> = { Updates: IReadOnlyList<TreeLeaf>; State: 'State }

/// A gradient transformation whose state is the F# type 'State (a record of tensors, as any optimizer state), made from
/// two typed functions, so F# code neither writes nor reads a cast: `Init` and `Update` are typed, and the stage is an
/// `IGradientTransformation` for the core (where its state travels as `obj`, checked once, here, with an error that
/// names both types). The functions must be pure in the core's sense: never mutate or dispose the tensors they are given.
[<Sealed>]
type Stage<'State when 'State: not struct and 'State: not null>
    (name: string,
     init: IReadOnlyList<TreeLeaf> -> 'State,
     update: IReadOnlyList<TreeLeaf> -> 'State -> IReadOnlyList<TreeLeaf> -> IReadOnlyList<TreeLeaf> * 'State) =

    let typed (state: obj) =
        match state with
        | :? 'State as typed -> typed
        | other -> invalidArg (nameof state) $"The stage '{name}' keeps a {typeof<'State>.Name} state but was given a {other.GetType().Name}: pass it the state its Init made."

    /// The stage's name, as its errors give it.
    member _.Name = name

    /// The initial state for parameters with these leaves.
    member _.Init(parameters: IReadOnlyList<TreeLeaf>) : 'State = init parameters

    /// The updates for `gradients` and the next state; `state` stays valid and unchanged.
    member _.Update(gradients: IReadOnlyList<TreeLeaf>, state: 'State, parameters: IReadOnlyList<TreeLeaf>) : StageResult<'State> =
        let updates, next = update gradients state parameters
        { Updates = updates; State = next }

    interface IGradientTransformation with
        member _.Init(parameters) = init parameters :> obj
        member _.Update(gradients, state, parameters) =
            let updates, next = update gradients (typed state) parameters
            TransformResult(updates, next :> obj)

    override _.ToString() = $"Stage {name} ({typeof<'State>.Name})"

/// Typed optimizer stages and typed reading of optimizer states from F#.
[<CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Stage =
    /// A stage named `name` from its typed init and update: `Stage.create "signMomentum" init update`.
    let create name (init: IReadOnlyList<TreeLeaf> -> 'State) (update: IReadOnlyList<TreeLeaf> -> 'State -> IReadOnlyList<TreeLeaf> -> IReadOnlyList<TreeLeaf> * 'State) =
        Stage<'State>(name, init, update)

    /// The first state of type 'State inside the optimizer state `state` (a whole pipeline's, as a train state keeps
    /// it: `final.OptimizerState |> Stage.stateIn<SignMomentumState>`), depth first, or None.
    let stateIn<'State when 'State: not struct and 'State: not null> (state: obj) : 'State option =
        match OptimizerStates.Find<'State>(state) with
        | null -> None
        | found -> Some found
