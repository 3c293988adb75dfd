using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The masked recurrence shared by <see cref="Lstm"/> and <see cref="Gru"/>: the fused kernel for prefix masks, a step loop for masks with holes.</summary>
internal static class Recurrence
{
    /// <summary>The kind of cell: 4 gates with a cell state, or 3 gates without.</summary>
    internal enum Kind { Lstm, Gru }

    /// <summary>A fresh multi-layer record's layers, drawn as PyTorch: every tensor from U(-1/√hidden, +), per layer and direction in the order weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    internal static RecurrentLayerParams[] Init(Generator generator, Kind kind, int inputs, int hidden, int layers, bool bidirectional, Device device)
    {
        Initializers.Positive(inputs, nameof(inputs));
        Initializers.Positive(hidden, nameof(hidden));
        Initializers.Positive(layers, nameof(layers));
        var gates = Gates(kind) * hidden;
        var bound = 1 / Math.Sqrt(hidden);
        RecurrentCellParams Cell(int width) => new(
            Initializers.Uniform(generator, [gates, width], bound, device),
            Initializers.Uniform(generator, [gates, hidden], bound, device),
            Initializers.Uniform(generator, [gates], bound, device),
            Initializers.Uniform(generator, [gates], bound, device));
        var result = new RecurrentLayerParams[layers];
        for (var k = 0; k < layers; k++)
        {
            var width = k == 0 ? inputs : hidden * (bidirectional ? 2 : 1);
            var forward = Cell(width);
            result[k] = new RecurrentLayerParams(forward, bidirectional ? Cell(width) : null);
        }
        return result;
    }

    /// <summary>
    /// Runs every layer over <paramref name="values"/> with <paramref name="mask"/> after the checks; returns the last
    /// layer's output and the final hidden (and cell) states [layers·directions, batch, hidden].
    /// </summary>
    internal static (Tensor Output, Tensor Hidden, Tensor? Cell) Run(string layer, object parameters, Kind kind, RecurrentLayerParams[] layers, Tensor values, Tensor mask)
    {
        Check(layer, parameters, kind, layers, values, mask);
        using var scope = NewDisposeScope();
        var lengths = Masks.Lengths(mask);
        if (IsPrefix(mask, lengths))
        {
            var fused = Fused(kind, layers, values, mask, lengths);
            scope.MoveToOuter(fused.Cell is null ? [fused.Output, fused.Hidden] : [fused.Output, fused.Hidden, fused.Cell]);
            return fused;
        }
        var steps = mask.transpose(0, 1).unsqueeze(-1).contiguous();
        var input = Masks.ZeroPadding(values, mask);
        var hiddens = new List<Tensor>();
        var cells = new List<Tensor>();
        foreach (var layerParams in layers)
        {
            var (forward, h, c) = Direction(kind, layerParams.Forward, input, steps, reverse: false);
            hiddens.Add(h);
            if (c is not null) cells.Add(c);
            if (layerParams.Backward is null) { input = forward; continue; }
            var (backward, hb, cb) = Direction(kind, layerParams.Backward, input, steps, reverse: true);
            hiddens.Add(hb);
            if (cb is not null) cells.Add(cb);
            input = cat([forward, backward], 2);
        }
        var hidden = stack(hiddens, 0);
        var cell = kind == Kind.Lstm ? stack(cells, 0) : null;
        scope.MoveToOuter(cell is null ? [input, hidden] : [input, hidden, cell]);
        return (input, hidden, cell);
    }

    /// <summary>The PyTorch names of the weights in the order of <see cref="Weights"/>.</summary>
    internal static IEnumerable<string> WeightNames(int layers, bool bidirectional)
    {
        for (var k = 0; k < layers; k++)
            foreach (var suffix in bidirectional ? new[] { "", "_reverse" } : [""])
                foreach (var name in new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" })
                    yield return $"{name}_l{k}{suffix}";
    }

    /// <summary>Every weight, per layer and direction: input weight, hidden weight, input bias, hidden bias.</summary>
    internal static IEnumerable<Tensor> Weights(RecurrentLayerParams[] layers) =>
        layers.SelectMany(layer => layer.Backward is null ? [layer.Forward] : new[] { layer.Forward, layer.Backward })
            .SelectMany(cell => new[] { cell.InputWeight, cell.HiddenWeight, cell.InputBias, cell.HiddenBias });

    /// <summary>Whether every row's real tokens come first (reads the mask back to the host).</summary>
    static bool IsPrefix(Tensor mask, Tensor lengths)
    {
        using var prefix = Masks.FromLengths(lengths, mask.shape[1]);
        using var same = prefix.eq(mask);
        using var all = same.all();
        return all.item<bool>();
    }

    /// <summary>
    /// A prefix mask through libtorch's fused kernel (<see cref="FusedRecurrence"/>). Packing reads only the real
    /// positions and unpacking writes zeros at the padded ones, so padding needs no extra pass. A row without real tokens
    /// runs one step on a zero input (packing needs length 1) whose outputs and states are then zeroed, so it
    /// contributes nothing; only then are the input and outputs masked.
    /// </summary>
    static (Tensor Output, Tensor Hidden, Tensor? Cell) Fused(Kind kind, RecurrentLayerParams[] layers, Tensor values, Tensor mask, Tensor lengths)
    {
        var weights = Weights(layers).ToArray();
        var first = layers[0].Forward;
        var rowLengths = lengths.cpu().data<long>().ToArray();
        var anyEmpty = rowLengths.Any(n => n == 0);
        var buildGraph = is_grad_enabled() && (values.requires_grad || weights.Any(w => w.requires_grad));
        var config = new FusedRecurrence.Config(kind, first.InputWeight.shape[1], first.HiddenWeight.shape[1], layers.Length,
            layers[0].Backward is not null, rowLengths.Select(n => Math.Max(n, 1)).ToArray(), buildGraph, values.requires_grad);
        var results = FusedRecurrence.Run(config, anyEmpty ? Masks.ZeroPadding(values, mask) : values, weights);
        if (!anyEmpty) return (results[0], results[1], kind == Kind.Lstm ? results[2] : null);
        var empty = lengths.eq(Scalars.Zero).reshape(1, -1, 1);
        var output = Masks.ZeroPadding(results[0], mask);
        var hidden = results[1].masked_fill(empty, Scalars.Zero);
        var cell = kind == Kind.Lstm ? results[2].masked_fill(empty, Scalars.Zero) : null;
        return (output, hidden, cell);
    }

    /// <summary>
    /// One direction of one layer over zero-padded <paramref name="input"/> [batch, length, width]: the input
    /// projection of all steps is one matmul, then one recurrent matmul per step. A padded step keeps the state and
    /// outputs zeros, so the reverse direction starts at each row's last real token.
    /// </summary>
    static (Tensor Output, Tensor Hidden, Tensor? Cell) Direction(Kind kind, RecurrentCellParams cell, Tensor input, Tensor steps, bool reverse)
    {
        long batch = input.shape[0], length = input.shape[1], size = cell.HiddenWeight.shape[1];
        var projected = nn.functional.linear(input, cell.InputWeight, cell.InputBias).transpose(0, 1).contiguous();
        var h = zeros([batch, size], dtype: input.dtype, device: input.device);
        var c = kind == Kind.Lstm ? zeros([batch, size], dtype: input.dtype, device: input.device) : null;
        var outputs = new Tensor[length];
        for (var i = 0; i < length; i++)
        {
            var t = reverse ? length - 1 - i : i;
            var real = steps[t];
            var recurrent = nn.functional.linear(h, cell.HiddenWeight, cell.HiddenBias);
            Tensor next;
            if (kind == Kind.Lstm)
            {
                var gates = projected[t].add(recurrent, Scalars.One).chunk(4, 1);
                var nextCell = (gates[1].sigmoid() * c!).add(gates[0].sigmoid() * gates[2].tanh(), Scalars.One);
                next = gates[3].sigmoid() * nextCell.tanh();
                c = where(real, nextCell, c!);
            }
            else
            {
                var x = projected[t].chunk(3, 1);
                var r = recurrent.chunk(3, 1);
                var reset = x[0].add(r[0], Scalars.One).sigmoid();
                var update = x[1].add(r[1], Scalars.One).sigmoid();
                var candidate = x[2].add(reset * r[2], Scalars.One).tanh();
                next = candidate.add(update * (h - candidate), Scalars.One);
            }
            outputs[t] = next.masked_fill(real.logical_not(), Scalars.Zero);
            h = where(real, next, h);
        }
        return (stack(outputs, 1), h, c);
    }

    static int Gates(Kind kind) => kind == Kind.Lstm ? 4 : 3;

    static void Check(string layer, object parameters, Kind kind, RecurrentLayerParams[] layers, Tensor values, Tensor mask)
    {
        if (layers.Length == 0)
            throw new LayerInputException(layer, parameters, "parameters with at least one layer", "no layers");
        var first = layers[0].Forward;
        InputChecks.Rank(layer, parameters, values, 3, "[batch, length, features]");
        InputChecks.SameDtypeAndDevice(layer, parameters, values, first.InputWeight);
        InputChecks.LastDimension(layer, parameters, values, first.InputWeight.shape[1]);
        MaskChecks.Matches(layer, parameters, values, mask);
        var bidirectional = layers[0].Backward is not null;
        var size = first.HiddenWeight.shape[1];
        var width = first.InputWeight.shape[1];
        foreach (var (layerParams, k) in layers.Select((l, k) => (l, k)))
        {
            if ((layerParams.Backward is not null) != bidirectional)
                throw new LayerInputException(layer, parameters, "layers that are all bidirectional or all unidirectional", $"layer {k} differs from layer 0");
            foreach (var cell in layerParams.Backward is null ? [layerParams.Forward] : new[] { layerParams.Forward, layerParams.Backward })
            {
                long gates = Gates(kind) * size;
                if (!cell.InputWeight.shape.SequenceEqual([gates, width]) || !cell.HiddenWeight.shape.SequenceEqual([gates, size])
                    || !cell.InputBias.shape.SequenceEqual([gates]) || !cell.HiddenBias.shape.SequenceEqual([gates]))
                    throw new LayerInputException(layer, parameters,
                        $"layer {k} weights [{gates}, {width}], [{gates}, {size}], biases [{gates}] ({Gates(kind)} gates of {size})",
                        $"{Shapes.Format(cell.InputWeight.shape)}, {Shapes.Format(cell.HiddenWeight.shape)}, {Shapes.Format(cell.InputBias.shape)}, {Shapes.Format(cell.HiddenBias.shape)}");
            }
            width = size * (bidirectional ? 2 : 1);
        }
    }
}
