/// A transformer block built and run from F#: an F# record holding a stack and its position table, a prefix-LM mask
/// from two segments' lengths, a full pass, a cached decoding step, and gradients by name.
module Functional.FSharpTests.TransformerFromFSharp

open Xunit
open TorchSharp
open Functional.Core

/// A tiny UniLM-shaped model defined in F#: library records as fields.
type TinyUniLm =
    { Encoder: TransformerStackParams
      Positions: LearnedPositionsParams }

let settings = TransformerBlockSettings(true, Activation.Gelu, 0.0, 0.0)

let init (generator: torch.Generator) =
    { Encoder = TransformerStack.Init(generator, 2, 8, 2, 16, true, RotarySettings.Default, settings, true, torch.CPU)
      Positions = LearnedPositions.Init(generator, 16, 8, torch.CPU) }

let positions (batch: int64) (length: int64) = Ranges.Of(length, torch.CPU).unsqueeze(0L).expand(batch, length).contiguous()

let run (model: TinyUniLm) (x: torch.Tensor) (mask: torch.Tensor) (allowed: torch.Tensor) (generator: torch.Generator) =
    let at = positions x.shape.[0] x.shape.[1]
    let input = x.add(LearnedPositions.Apply(model.Positions, at), Scalars.One)
    TransformerStack.Apply(model.Encoder, MaskedSequence(input, mask), allowed, at, false, generator)

[<Fact>]
let ``F# builds a block stack, runs a prefix-LM pass and a cached step that equals it`` () =
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(3UL)
    let model = init generator
    let sources = torch.tensor([| 3L; 2L |])
    let targets = torch.tensor([| 2L; 1L |])
    let length = 5L
    let mask = Masks.FromLengths(sources.add(targets, Scalars.One), length)
    let allowed = AttentionMasks.PrefixLm(sources, targets, length)
    let x = torch.randn([| 2L; length; 8L |], generator = generator)
    let full = run model x mask allowed generator
    Assert.Equal<int64[]>([| 2L; length; 8L |], full.Values.shape)
    Assert.True(full.Values.isfinite().all().item<bool>())

    // The same pass as a cached decode: the sources (3 slots) first, then one token at a time.
    let at = positions 2L length
    let input = x.add(LearnedPositions.Apply(model.Positions, at), Scalars.One)
    let mutable cache = TransformerStackCache.Empty(model.Encoder, 2L)
    let pieces = ResizeArray<torch.Tensor>()
    for (start, count) in [ (0L, 3L); (3L, 1L); (4L, 1L) ] do
        let slice (t: torch.Tensor) = t.narrow(1L, start, count)
        let step =
            TransformerStack.Step(model.Encoder, MaskedSequence(slice input, slice mask),
                                  allowed.narrow(1L, start, count).narrow(2L, 0L, start + count), slice at, cache, start, false, generator)
        pieces.Add(step.Output.Values)
        cache <- step.Cache
    Assert.True(full.Values.allclose(torch.cat(pieces, 1L), 1e-5, 1e-5))

    // Beam search reorders rows of the cache: a value, so the original is untouched.
    let swapped = cache.Select(torch.tensor([| 1L; 0L; 0L |]))
    Assert.Equal(3L, swapped.Layers.[0].Keys.shape.[0])
    Assert.Equal(2L, cache.Layers.[0].Keys.shape.[0])

[<Fact>]
let ``F# takes gradients of a block by its PyTorch names`` () =
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(4UL)
    let model = init generator
    let mask = Masks.FromLengths(torch.tensor([| 4L; 2L |]), 4L)
    let x = torch.randn([| 2L; 4L; 8L |], generator = generator)
    let loss (m: TinyUniLm) = (run m x mask (AttentionMasks.Padding(mask, mask)) generator).Values.pow(Scalars.Two).sum()
    let result = Autodiff.ValueAndGrad((fun m -> loss m), model)
    let paths = Tree.Paths(result.Gradient)
    Assert.Contains("encoder/layers/0/self_attn/in_proj_weight", paths)
    Assert.Contains("encoder/layers/1/linear2/weight", paths)
    Assert.Contains("encoder/norm/weight", paths)
    Assert.True(result.Gradient.Encoder.Layers.[0].SelfAttn.InProjWeight.abs().sum().item<float32>() > 0.0f)
