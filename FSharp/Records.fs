namespace Functional.FSharp

open System
open System.Reflection
open System.Runtime.ExceptionServices
open Microsoft.FSharp.Quotations.Patterns
open Functional.Training

/// Copy-and-update of C# records from F#, which cannot write `{ options with Epochs = 5 }` on them:
/// `FitOptions.Default |> Record.set <@ fun o -> o.Epochs @> 5`. The copy is the record's own (its compiler-made
/// clone), and the property is set through its init accessor, so the record's validation runs as it does for C#'s
/// `with` (an invalid value throws the record's own error). The original is never changed.
module Record =
    let private unwrap (e: TargetInvocationException) : 'a =
        match e.InnerException with
        | null -> raise e
        | inner -> ExceptionDispatchInfo.Capture(inner).Throw()
        Unchecked.defaultof<'a>

    /// A copy of `record` whose property named by `property` (a quotation `<@ fun r -> r.Name @>`) is `value`.
    /// Fails with an ArgumentException when the quotation is not a property of the record, or the type is not a
    /// C# record.
    let set (property: Quotations.Expr<'T -> 'V>) (value: 'V) (record: 'T) : 'T =
        let info =
            match property with
            | Lambda(_, PropertyGet(Some _, info, [])) when (nonNull info.DeclaringType).IsAssignableFrom typeof<'T> -> info
            | _ -> invalidArg (nameof property) $"expected a quotation of one property of {typeof<'T>.Name}, like <@ fun r -> r.Name @>; got {property}"
        let clone =
            match typeof<'T>.GetMethod("<Clone>$", BindingFlags.Public ||| BindingFlags.Instance) with
            | null -> invalidArg (nameof record) $"{typeof<'T>.FullName} is not a C# record (it has no <Clone>$ method)"
            | m -> m
        let setter =
            match info.GetSetMethod(true) with
            | null -> invalidArg (nameof property) $"{typeof<'T>.Name}.{info.Name} has no init accessor"
            | m -> m
        try
            let copy = clone.Invoke(box record, [||])
            setter.Invoke(copy, [| box value |]) |> ignore
            copy :?> 'T
        with :? TargetInvocationException as e -> unwrap e

/// Copy-and-update of `FitOptions` in a pipeline: `FitOptions.Default |> Options.epochs 5 |> Options.observers [ ... ]`.
module Options =
    /// The number of epochs (at least 1).
    let epochs (n: int) (options: FitOptions) = options |> Record.set <@ fun o -> o.Epochs @> n
    /// A wall-clock budget for the run (not negative).
    let timeLimit (limit: TimeSpan) (options: FitOptions) = options |> Record.set <@ fun o -> o.TimeLimit @> (Nullable limit)
    /// Early stopping on a validation metric.
    let earlyStopping (rule: EarlyStopping) (options: FitOptions) = options |> Record.set <@ fun o -> o.EarlyStopping @> rule
    /// Whether validation uses the parameter average when the optimizer keeps one.
    let evaluateWithEma (use': bool) (options: FitOptions) = options |> Record.set <@ fun o -> o.EvaluateWithEma @> use'
    /// Whether a non-finite loss stops training.
    let stopOnNonFiniteLoss (stop: bool) (options: FitOptions) = options |> Record.set <@ fun o -> o.StopOnNonFiniteLoss @> stop
    /// The observers, in the order they are called.
    let observers (observers: IFitObserver list) (options: FitOptions) =
        options |> Record.set <@ fun o -> o.Observers @> (List.toArray observers :> Collections.Generic.IReadOnlyList<_>)
