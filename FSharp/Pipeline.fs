/// Optimizer pipelines composed with |>: each function is one call of a core constructor, placed where the core's
/// documentation says the stage belongs (clipping first, per-path rules after the learning rate, the parameter average
/// last, accumulation around everything). `Optimizer.Adam 1e-3 |> Pipeline.clipByGlobalNorm 1.0 |> Pipeline.withEma 0.999`
/// is the value `Chain(Chain(ClipByGlobalNorm 1.0, Adam), ParameterEma(0.999, false))`, equal to it as data.
module Functional.FSharp.Pipeline

open Functional.Optimizers

/// Clips the gradient to a global norm before the rest of the pipeline.
let clipByGlobalNorm maxNorm (inner: #IGradientTransformation) = Chain(ClipByGlobalNorm(maxNorm), inner) :> IGradientTransformation

/// Per-path learning-rate multipliers and freezing after the rest of the pipeline.
let pathRules (rules: PathRule list) (inner: #IGradientTransformation) = Chain(inner, PathMultipliers(Array.ofList rules)) :> IGradientTransformation

/// A Polyak average of the parameters, kept in the state.
let withEma decay (inner: #IGradientTransformation) = Chain(inner, ParameterEma(decay, false)) :> IGradientTransformation

/// One real update every k micro-batches.
let accumulate k (inner: #IGradientTransformation) = Accumulate(inner, k) :> IGradientTransformation
