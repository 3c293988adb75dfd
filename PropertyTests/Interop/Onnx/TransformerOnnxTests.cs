using FsCheck.Xunit;
using Functional.Core;
using Functional.Onnx;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// The transformer layers exported to ONNX agree with our forward in ONNX Runtime to 1e-5 over random shapes and
/// inputs: RmsNorm, SwiGLU, the GELU feed-forward layer, sinusoidal, learned and rotary positions (given, or made in the
/// graph from the sequence and an offset), the attention masks built in the graph (padding, causal at an offset,
/// prefix-LM from the two segments' lengths: equal bit for bit), attention, blocks (pre- and post-norm, GELU and SwiGLU)
/// and two-block stacks, all with padded rows of random lengths (rows without a real token included) whose padding holds
/// noise, and a cached stack step against ours. Padded positions are compared too: both sides give zeros there.
/// </summary>
public sealed class TransformerOnnxTests
{
    enum MaskKind { Padding, Causal, PrefixLm, Any }

    static RotarySettings? RandomRotary(Random random) => random.Next(3) switch
    {
        0 => null,
        1 => RotarySettings.Default,
        _ => new RotarySettings(500, RotaryLayout.Interleaved),
    };

    /// <summary>Random values with noise at padded positions: [batch, length, width].</summary>
    static torch.Tensor Noisy(torch.Generator generator, long batch, long length, long width)
    {
        using var three = 3.ToScalar();
        return torch.randn([batch, length, width], generator: generator).mul(three);
    }

    [Property(MaxTest = 30)]
    public void RmsNorm_SwiGlu_and_the_gelu_feed_forward_agree(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int inputs = random.Next(1, 8), hidden = random.Next(1, 8), outputs = random.Next(1, 8);
        var generator = Rng(seed);
        long[] shape = [.. Enumerable.Range(0, random.Next(0, 3)).Select(_ => (long)random.Next(1, 5)), inputs];
        using var three = 3.ToScalar();
        var x = torch.randn(shape, generator: generator).mul(three);
        var rms = new RmsNormParams(torch.randn([inputs], generator: generator), random.Next(2) == 0 ? 1e-6 : 1e-3);
        var swiGlu = SwiGlu.Init(generator, inputs, hidden, outputs, Cpu);
        var feedForward = FeedForward.Init(generator, inputs, hidden, outputs, Activation.Gelu, Cpu);

        var graph = new OnnxGraph("layers");
        var input = graph.Input("x", torch.ScalarType.Float32, shape);
        var normed = RmsNormOnnx.Export(graph, "norm", rms, input);
        var gated = SwiGluOnnx.Export(graph, "swiglu", swiGlu, input);
        var gelu = FeedForwardOnnx.Export(graph, "ff", feedForward, input);
        graph.Output(normed, torch.ScalarType.Float32, shape);
        graph.Output(gated, torch.ScalarType.Float32, [.. shape[..^1], outputs]);
        graph.Output(gelu, torch.ScalarType.Float32, [.. shape[..^1], outputs]);
        var results = OrtRunner.Run(graph.ToModel(), ("x", x));
        var what = $"shape [{string.Join(", ", shape)}] hidden {hidden} outputs {outputs}";
        OrtRunner.Agrees(RmsNorm.Apply(rms, x), results[normed], $"RmsNorm {what}");
        OrtRunner.Agrees(SwiGlu.Apply(swiGlu, x), results[gated], $"SwiGlu {what}");
        OrtRunner.Agrees(FeedForward.Apply(feedForward, x), results[gelu], $"FeedForward GELU {what}");
    }

    [Property(MaxTest = 30)]
    public void Positions_given_or_from_the_sequence_at_an_offset_agree(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int batch = random.Next(1, 4), length = random.Next(1, 6), heads = random.Next(1, 3), half = random.Next(1, 4), offset = random.Next(0, 40);
        int width = 2 * random.Next(1, 5), tableSize = offset + length + random.Next(0, 3);
        var generator = Rng(seed);
        var layout = random.Next(2) == 0 ? RotaryLayout.HalfSplit : RotaryLayout.Interleaved;
        var settings = new RotarySettings(random.Next(2) == 0 ? 10000 : 77, layout);
        var given = torch.randint(0, 1000, [batch, length], generator: generator);
        using var start0 = offset.ToScalar();
        var sequential = Ranges.Of(length, Cpu).add(start0, Scalars.One).unsqueeze(0).expand(batch, length).contiguous();
        var x = torch.randn([batch, heads, length, 2 * half], generator: generator);
        var table = LearnedPositions.Init(generator, tableSize, width, Cpu);

        var graph = new OnnxGraph("positions");
        var heads4 = graph.Input("heads", torch.ScalarType.Float32, -1, heads, -1, 2 * half);
        var positions = graph.Input("positions", torch.ScalarType.Int64, -1, -1);
        var mask = graph.Input("mask", torch.ScalarType.Bool, -1, -1);
        var start = graph.Input("offset", torch.ScalarType.Int64);
        var fromSequence = PositionsOnnx.FromSequence(graph, "fromSequence", mask, start);
        var rotatedGiven = RotaryOnnx.Export(graph, "rotaryGiven", settings, 2 * half, heads4, positions);
        var rotatedAt = RotaryOnnx.Export(graph, "rotaryAt", settings, 2 * half, heads4, fromSequence);
        var sinusoidal = SinusoidalPositionsOnnx.Export(graph, "sinusoidal", width, positions);
        var learned = LearnedPositionsOnnx.Export(graph, "learned", table, fromSequence);
        graph.Output(fromSequence, torch.ScalarType.Int64, -1, -1);
        graph.Output(rotatedGiven, torch.ScalarType.Float32, -1, heads, -1, 2 * half);
        graph.Output(rotatedAt, torch.ScalarType.Float32, -1, heads, -1, 2 * half);
        graph.Output(sinusoidal, torch.ScalarType.Float32, -1, -1, width);
        graph.Output(learned, torch.ScalarType.Float32, -1, -1, width);
        var results = OrtRunner.Run(graph.ToModel(), ("heads", x), ("positions", given), ("mask", torch.ones([batch, length], dtype: torch.@bool)), ("offset", torch.tensor((long)offset)));
        var what = $"batch {batch} length {length} offset {offset} head width {2 * half} {settings}";
        Assert.True(Same(sequential, results[fromSequence]), $"{what}: positions from the sequence");
        OrtRunner.Agrees(Rotary.Apply(x, given, settings), results[rotatedGiven], $"Rotary at given positions {what}");
        OrtRunner.Agrees(Rotary.Apply(x, sequential, settings), results[rotatedAt], $"Rotary from the sequence {what}");
        OrtRunner.Agrees(SinusoidalPositions.Encode(given, width, torch.ScalarType.Float32), results[sinusoidal], $"Sinusoidal {what} width {width}");
        OrtRunner.Agrees(LearnedPositions.Apply(table, sequential), results[learned], $"Learned {what} table {tableSize}");
    }

    [Property(MaxTest = 40)]
    public void The_masks_built_in_the_graph_equal_ours_bit_for_bit(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int batch = random.Next(1, 4), queries = random.Next(1, 6), keys = random.Next(1, 6), offset = random.Next(0, 5), length = random.Next(1, 7);
        var queryMask = Masks.FromLengths(Lengths(random, batch, queries), queries);
        var keyMask = Masks.FromLengths(Lengths(random, batch, offset + queries), offset + queries);
        var sources = Lengths(random, batch, length);
        var targets = torch.tensor(sources.data<long>().ToArray().Select(s => (long)random.Next(0, (int)(length - s) + 1)).ToArray());
        var sequenceMask = Masks.FromLengths(sources.add(targets, Scalars.One), length);
        var otherKeys = Masks.FromLengths(Lengths(random, batch, keys), keys);

        var graph = new OnnxGraph("masks");
        var qm = graph.Input("queryMask", torch.ScalarType.Bool, -1, -1);
        var km = graph.Input("keyMask", torch.ScalarType.Bool, -1, -1);
        var ok = graph.Input("otherKeys", torch.ScalarType.Bool, -1, -1);
        var sm = graph.Input("sequenceMask", torch.ScalarType.Bool, -1, -1);
        var start = graph.Input("offset", torch.ScalarType.Int64);
        var source = graph.Input("sources", torch.ScalarType.Int64, -1);
        var target = graph.Input("targets", torch.ScalarType.Int64, -1);
        var padding = AttentionMasksOnnx.Padding(graph, "padding", qm, ok);
        var causal = AttentionMasksOnnx.Causal(graph, "causal", qm, km, start);
        var combined = AttentionMasksOnnx.Combine(graph, "combined", causal, AttentionMasksOnnx.Padding(graph, "causalPadding", qm, km));
        var prefix = AttentionMasksOnnx.PrefixLm(graph, "prefixLm", source, target, sm);
        foreach (var output in new[] { padding, causal, combined, prefix }) graph.Output(output, torch.ScalarType.Bool, -1, -1, -1);
        var results = OrtRunner.Run(graph.ToModel(), ("queryMask", queryMask), ("keyMask", keyMask), ("otherKeys", otherKeys), ("sequenceMask", sequenceMask),
            ("offset", torch.tensor((long)offset)), ("sources", sources), ("targets", targets));

        var what = $"batch {batch} queries {queries} keys {keys} offset {offset} length {length}";
        var ourCausal = AttentionMasks.Causal(batch, queries, offset + queries, offset, Cpu);
        Assert.True(Same(AttentionMasks.Padding(queryMask, otherKeys), results[padding]), $"{what}: padding");
        Assert.True(Same(ourCausal, results[causal]), $"{what}: causal");
        Assert.True(Same(AttentionMasks.Combine(ourCausal, AttentionMasks.Padding(queryMask, keyMask)), results[combined]), $"{what}: combined");
        Assert.True(Same(AttentionMasks.PrefixLm(sources, targets, length), results[prefix]), $"{what}: prefix-LM");
    }

    [Property(MaxTest = 40)]
    public void Attention_agrees_with_padding_and_each_mask(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var (batch, length, heads, headWidth) = (random.Next(1, 4), random.Next(1, 7), random.Next(1, 4), 2 * random.Next(1, 3));
        var rotary = RandomRotary(random);
        var kind = (MaskKind)random.Next(4);
        var generator = Rng(seed);
        var attention = TransformerAttention.Init(generator, heads * headWidth, heads, rotary, Cpu);
        if (random.Next(3) == 0)
            attention = attention with { InProjBias = null, OutProj = attention.OutProj with { Bias = null } };
        else
            attention = attention with { InProjBias = torch.randn([3 * heads * headWidth], generator: generator), OutProj = attention.OutProj with { Bias = torch.randn([heads * headWidth], generator: generator) } };
        var (x, positions, inputs) = Sequence(random, generator, batch, length, heads * headWidth, kind);

        var graph = new OnnxGraph("attention");
        var (values, mask, allowed, at) = Inputs(graph, heads * headWidth, kind);
        var output = TransformerAttentionOnnx.Self(graph, "self_attn", attention, values, mask, allowed, at);
        graph.Output(output, torch.ScalarType.Float32, -1, -1, heads * headWidth);
        var results = OrtRunner.Run(graph.ToModel(), [.. inputs]);
        var ours = TransformerAttention.Self(attention, x, OurAllowed(inputs, kind), positions, 0, false, generator);
        OrtRunner.Agrees(ours.Values, results[output], $"attention batch {batch} length {length} heads {heads}x{headWidth} rotary {rotary} {kind} bias {attention.InProjBias is not null} lengths {LengthsOf(x.Mask)}");
    }

    [Property(MaxTest = 30)]
    public void Blocks_agree_pre_and_post_norm_gelu_and_swiglu(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var (batch, length, heads, headWidth) = (random.Next(1, 4), random.Next(1, 7), random.Next(1, 3), 2 * random.Next(1, 3));
        var (normFirst, swiGlu, kind, rotary) = (random.Next(2) == 0, random.Next(2) == 0, (MaskKind)random.Next(4), RandomRotary(random));
        var generator = Rng(seed);
        var settings = TransformerBlockSettings.Default with { NormFirst = normFirst, Activation = random.Next(2) == 0 ? Activation.Gelu : Activation.Relu };
        var block = Randomized(TransformerBlock.Init(generator, heads * headWidth, heads, random.Next(1, 9), swiGlu, rotary, settings, Cpu), generator);
        var (x, positions, inputs) = Sequence(random, generator, batch, length, heads * headWidth, kind);

        var graph = new OnnxGraph("block");
        var (values, mask, allowed, at) = Inputs(graph, heads * headWidth, kind);
        var output = TransformerBlockOnnx.Export(graph, "block", block, values, mask, allowed, at);
        graph.Output(output, torch.ScalarType.Float32, -1, -1, heads * headWidth);
        var results = OrtRunner.Run(graph.ToModel(), [.. inputs]);
        // Training with dropout rates of 0.1 is not what is exported: inference (training: false) is.
        var ours = TransformerBlock.Apply(block, x, OurAllowed(inputs, kind), positions, false, generator);
        OrtRunner.Agrees(ours.Values, results[output], $"block normFirst {normFirst} swiGlu {swiGlu} {settings.Activation} rotary {rotary} {kind} batch {batch} length {length} heads {heads}x{headWidth} lengths {LengthsOf(x.Mask)}");
    }

    [Property(MaxTest = 20)]
    public void A_two_block_stack_as_a_standalone_graph_agrees_pre_and_post_norm(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var (batch, length, heads, headWidth) = (random.Next(1, 4), random.Next(1, 7), random.Next(1, 3), 2 * random.Next(1, 3));
        var normFirst = random.Next(2) == 0;
        var (kind, rotary) = ((MaskKind)random.Next(3), RandomRotary(random));
        var generator = Rng(seed);
        var stack = TransformerStack.Init(generator, 2, heads * headWidth, heads, random.Next(1, 9), random.Next(2) == 0, rotary,
            TransformerBlockSettings.Default with { NormFirst = normFirst }, finalNorm: normFirst, Cpu);
        stack = stack with { Layers = [.. stack.Layers.Select(layer => Randomized(layer, generator))] };
        var (x, positions, inputs) = Sequence(random, generator, batch, length, heads * headWidth, kind);
        var allowed = OurAllowed(inputs, kind);

        var graph = TransformerStackOnnx.Graph(stack, x, allowed, positions);
        var results = OrtRunner.Run(graph.ToModel(), ("values", x.Values), ("mask", x.Mask), ("allowed", allowed), ("positions", positions));
        var ours = TransformerStack.Apply(stack, x, allowed, positions, false, generator);
        OrtRunner.Agrees(ours.Values, results["output"], $"stack normFirst {normFirst} rotary {rotary} {kind} batch {batch} length {length} heads {heads}x{headWidth} lengths {LengthsOf(x.Mask)}");
    }

    [Property(MaxTest = 20)]
    public void A_cached_stack_step_at_an_offset_agrees_with_ours_and_extends_the_caches_as_ours(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var (batch, cached, fresh, heads, headWidth) = (random.Next(1, 4), random.Next(0, 5), random.Next(1, 4), random.Next(1, 3), 2 * random.Next(1, 3));
        var model = heads * headWidth;
        var generator = Rng(seed);
        var stack = TransformerStack.Init(generator, 2, model, heads, 5, random.Next(2) == 0, RandomRotary(random) ?? RotarySettings.Default,
            TransformerBlockSettings.Default with { NormFirst = random.Next(2) == 0 }, finalNorm: random.Next(2) == 0, Cpu);
        var total = cached + fresh;
        var mask = Masks.FromLengths(Lengths(random, batch, total), total);
        var x = new MaskedSequence(Noisy(generator, batch, total, model), mask);
        var positions = Ranges.Of(total, Cpu).unsqueeze(0).expand(batch, total).contiguous();
        MaskedSequence Rows(MaskedSequence s, long start, long count) => new(s.Values.narrow(1, start, count), s.Mask.narrow(1, start, count));
        torch.Tensor Causal(long start, long count, torch.Tensor keyMask) =>
            AttentionMasks.Combine(AttentionMasks.Causal(batch, count, start + count, start, Cpu), AttentionMasks.Padding(mask.narrow(1, start, count), keyMask));
        // Offset 0 is the empty cache (a first step); otherwise our own step fills the cache.
        var first = cached == 0
            ? new TransformerStackStep(Rows(x, 0, 0), TransformerStackCache.Empty(stack, batch))
            : TransformerStack.Step(stack, Rows(x, 0, cached), Causal(0, cached, mask.narrow(1, 0, cached)), positions.narrow(1, 0, cached), TransformerStackCache.Empty(stack, batch), 0, false, generator);
        var second = TransformerStack.Step(stack, Rows(x, cached, fresh), Causal(cached, fresh, mask), positions.narrow(1, cached, fresh), first.Cache, cached, false, generator);

        var graph = new OnnxGraph("stack-step");
        var values = graph.Input("values", torch.ScalarType.Float32, -1, -1, model);
        var newMask = graph.Input("mask", torch.ScalarType.Bool, -1, -1);
        var offset = graph.Input("offset", torch.ScalarType.Int64);
        var caches = Enumerable.Range(0, 2).Select(k => new OnnxKvCache(
            graph.Input($"keys{k}", torch.ScalarType.Float32, -1, heads, -1, headWidth),
            graph.Input($"values{k}", torch.ScalarType.Float32, -1, heads, -1, headWidth),
            graph.Input($"mask{k}", torch.ScalarType.Bool, -1, -1))).ToArray();
        // Keys: the cached slots then the new tokens (only the shape is read; padded keys are hidden by the attention).
        var keyMask = graph.Node("Concat", "keyMask", [caches[0].Mask, newMask], OnnxAttribute.Of("axis", 1L));
        var allowed = AttentionMasksOnnx.Causal(graph, "causal", newMask, keyMask, offset);
        var (output, next) = TransformerStackOnnx.Step(graph, "", stack, values, newMask, allowed, PositionsOnnx.FromSequence(graph, "positions", newMask, offset), caches);
        graph.Output(output, torch.ScalarType.Float32, -1, -1, model);
        foreach (var c in next)
        {
            graph.Output(c.Keys, torch.ScalarType.Float32, -1, heads, -1, headWidth);
            graph.Output(c.Values, torch.ScalarType.Float32, -1, heads, -1, headWidth);
            graph.Output(c.Mask, torch.ScalarType.Bool, -1, -1);
        }
        var inputs = new List<(string, torch.Tensor)> { ("values", x.Values.narrow(1, cached, fresh)), ("mask", mask.narrow(1, cached, fresh)), ("offset", torch.tensor((long)cached)) };
        for (var k = 0; k < 2; k++)
            inputs.AddRange([($"keys{k}", first.Cache.Layers[k].Keys), ($"values{k}", first.Cache.Layers[k].Values), ($"mask{k}", first.Cache.Layers[k].Mask)]);
        var results = OrtRunner.Run(graph.ToModel(), [.. inputs]);
        var what = $"step of {fresh} after {cached} batch {batch} heads {heads}x{headWidth} lengths {LengthsOf(mask)}";
        OrtRunner.Agrees(second.Output.Values, results[output], $"{what}: output");
        for (var k = 0; k < 2; k++)
        {
            OrtRunner.Agrees(second.Cache.Layers[k].Keys, results[next[k].Keys], $"{what}: layer {k} keys");
            OrtRunner.Agrees(second.Cache.Layers[k].Values, results[next[k].Values], $"{what}: layer {k} values");
            Assert.True(Same(second.Cache.Layers[k].Mask, results[next[k].Mask]), $"{what}: layer {k} mask");
        }
    }

    [Fact]
    public void A_mask_of_the_wrong_shape_is_refused_at_export_naming_the_layer_path_and_both_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var stack = TransformerStack.Init(Rng(1), 2, 4, 2, 6, false, RotarySettings.Default, TransformerBlockSettings.Default, true, Cpu);
        var x = new MaskedSequence(torch.zeros(2, 3, 4), torch.ones([2, 3], dtype: torch.@bool));
        var positions = Ranges.Of(3, Cpu).unsqueeze(0).expand(2, 3).contiguous();
        var error = Assert.Throws<LayerInputException>(() => TransformerStackOnnx.Graph(stack, x, torch.ones([2, 3, 4], dtype: torch.@bool), positions));
        Assert.Contains("'layers/0/self_attn'", error.Message);
        Assert.Contains("[2, 3, 3]", error.Message);
        Assert.Contains("[2, 3, 4]", error.Message);
        var sequenceMask = Assert.Throws<LayerInputException>(() => TransformerStackOnnx.Graph(stack, x with { Mask = torch.ones([2, 4], dtype: torch.@bool) }, torch.ones([2, 3, 3], dtype: torch.@bool), positions));
        Assert.Contains("'layers/0'", sequenceMask.Message);
        Assert.Contains("[2, 4]", sequenceMask.Message);
        // The same example with the right mask exports.
        Assert.NotEmpty(TransformerStackOnnx.Graph(stack, x, torch.ones([2, 3, 3], dtype: torch.@bool), positions).ToModel());
    }

    /// <summary>The record with random biases and norm weights, so that no zero-initialised leaf hides a misplaced term.</summary>
    static TransformerBlockParams Randomized(TransformerBlockParams block, torch.Generator generator)
    {
        torch.Tensor Random(torch.Tensor like) => torch.randn(like.shape, generator: generator);
        LayerNormParams Norm(LayerNormParams n) => n with { Weight = Random(n.Weight), Bias = Random(n.Bias) };
        var attention = block.SelfAttn with { InProjBias = Random(block.SelfAttn.InProjBias!), OutProj = block.SelfAttn.OutProj with { Bias = Random(block.SelfAttn.OutProj.Bias!) } };
        return block with { SelfAttn = attention, Norm1 = Norm(block.Norm1), Norm2 = Norm(block.Norm2) };
    }

    /// <summary>Equal shapes and every element equal (Bool or integer tensors).</summary>
    static bool Same(torch.Tensor expected, torch.Tensor actual) =>
        expected.shape.SequenceEqual(actual.shape) && (expected.numel() == 0 || expected.eq(actual).all().item<bool>());

    static torch.Tensor Lengths(Random random, int batch, int length) =>
        torch.tensor(Enumerable.Range(0, batch).Select(_ => (long)random.Next(0, length + 1)).ToArray());

    static string LengthsOf(torch.Tensor mask) => $"[{string.Join(", ", mask.sum([1], type: torch.ScalarType.Int64).data<long>().ToArray())}] of {mask.shape[1]}";

    /// <summary>
    /// A padded sequence (noise at padding, random lengths, 0 included), random positions, and the graph's inputs: the
    /// prefix-LM kind gives source and target lengths whose sums are the rows' lengths.
    /// </summary>
    static (MaskedSequence X, torch.Tensor Positions, List<(string Name, torch.Tensor Value)> Inputs) Sequence(Random random, torch.Generator generator, int batch, int length, int width, MaskKind kind)
    {
        var sources = Lengths(random, batch, length);
        var targets = torch.tensor(sources.data<long>().ToArray().Select(s => kind == MaskKind.PrefixLm ? (long)random.Next(0, (int)(length - s) + 1) : 0L).ToArray());
        var mask = Masks.FromLengths(sources.add(targets, Scalars.One), length);
        var x = new MaskedSequence(Noisy(generator, batch, length, width), mask);
        var positions = torch.randint(0, 50, [batch, length], generator: generator);
        var inputs = new List<(string, torch.Tensor)> { ("values", x.Values), ("mask", mask), ("positions", positions) };
        if (kind == MaskKind.PrefixLm) inputs.AddRange([("sources", sources), ("targets", targets)]);
        if (kind == MaskKind.Any) inputs.Add(("allowed", AnyMask(random, batch, length)));
        return (x, positions, inputs);
    }

    /// <summary>The graph's inputs and its mask of <paramref name="kind"/>, built in the graph.</summary>
    static (string Values, string Mask, string Allowed, string Positions) Inputs(OnnxGraph graph, int width, MaskKind kind)
    {
        var values = graph.Input("values", torch.ScalarType.Float32, -1, -1, width);
        var mask = graph.Input("mask", torch.ScalarType.Bool, -1, -1);
        var positions = graph.Input("positions", torch.ScalarType.Int64, -1, -1);
        var allowed = kind switch
        {
            MaskKind.Padding => AttentionMasksOnnx.Padding(graph, "padding", mask, mask),
            MaskKind.Causal => AttentionMasksOnnx.Combine(graph, "causalPadding", AttentionMasksOnnx.Causal(graph, "causal", mask, mask), AttentionMasksOnnx.Padding(graph, "padding", mask, mask)),
            MaskKind.PrefixLm => AttentionMasksOnnx.PrefixLm(graph, "prefixLm", graph.Input("sources", torch.ScalarType.Int64, -1), graph.Input("targets", torch.ScalarType.Int64, -1), mask),
            _ => graph.Input("allowed", torch.ScalarType.Bool, -1, -1, -1),
        };
        return (values, mask, allowed, positions);
    }

    /// <summary>Our mask of <paramref name="kind"/> for the same inputs.</summary>
    static torch.Tensor OurAllowed(List<(string Name, torch.Tensor Value)> inputs, MaskKind kind)
    {
        var mask = inputs.Single(i => i.Name == "mask").Value;
        return kind switch
        {
            MaskKind.Padding => AttentionMasks.Padding(mask, mask),
            MaskKind.Causal => AttentionMasks.Combine(AttentionMasks.Causal(mask.shape[0], mask.shape[1], mask.shape[1], 0, Cpu), AttentionMasks.Padding(mask, mask)),
            MaskKind.PrefixLm => AttentionMasks.PrefixLm(inputs.Single(i => i.Name == "sources").Value, inputs.Single(i => i.Name == "targets").Value, mask.shape[1]),
            _ => inputs.Single(i => i.Name == "allowed").Value,
        };
    }

    /// <summary>Any Bool mask [batch, length, length]: each query row hides every key with probability 1/3 (a real query that sees nothing), else a random row.</summary>
    static torch.Tensor AnyMask(Random random, int batch, int length)
    {
        var cells = new bool[batch * length * length];
        for (var row = 0; row < batch * length; row++)
        {
            var blind = random.Next(3) == 0;
            for (var key = 0; key < length; key++) cells[row * length + key] = !blind && random.Next(2) == 0;
        }
        return torch.tensor(cells, [batch, length, length]);
    }
}
