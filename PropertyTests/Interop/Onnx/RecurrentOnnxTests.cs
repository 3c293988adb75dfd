using FsCheck.Xunit;
using Functional.Core;
using Functional.Onnx;
using TorchSharp;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// LSTM and GRU exported to ONNX's own recurrent operators (gates reordered, lengths from the mask) agree with our
/// forward in ONNX Runtime to 1e-5: output, final hidden and cell states, over random sizes, 1–2 layers, one or two
/// directions, and padded rows of random lengths (including rows without real tokens) whose padding holds noise.
/// </summary>
public sealed class RecurrentOnnxTests
{
    [Property(MaxTest = 40)]
    public void Lstm_agrees_with_padding_and_both_directions(int seed) => Check(seed, lstm: true);

    [Property(MaxTest = 40)]
    public void Gru_agrees_with_padding_and_both_directions(int seed) => Check(seed, lstm: false);

    static void Check(int seed, bool lstm)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int inputs = random.Next(1, 6), hidden = random.Next(1, 6), layers = random.Next(1, 3), batch = random.Next(1, 5), length = random.Next(1, 7);
        var bidirectional = random.Next(2) == 0;
        var generator = Rng(seed);
        var values = torch.randn([batch, length, inputs], generator: generator);
        var lengths = torch.tensor(Enumerable.Range(0, batch).Select(_ => (long)random.Next(0, length + 1)).ToArray());
        var mask = Masks.FromLengths(lengths, length);
        var what = $"{(lstm ? "LSTM" : "GRU")} inputs {inputs} hidden {hidden} layers {layers} bidirectional {bidirectional} lengths [{string.Join(", ", lengths.data<long>().ToArray())}] of {length}";

        var graph = new OnnxGraph("recurrent");
        var x = graph.Input("values", torch.ScalarType.Float32, -1, -1, inputs);
        var m = graph.Input("mask", torch.ScalarType.Bool, -1, -1);
        OnnxRecurrentOutputs names;
        torch.Tensor output, finalHidden;
        torch.Tensor? cell = null;
        if (lstm)
        {
            var parameters = Lstm.Init(generator, inputs, hidden, layers, bidirectional, Cpu);
            names = RecurrentOnnx.Lstm(graph, "lstm", parameters, x, m);
            var result = Lstm.Apply(parameters, values, mask);
            (output, finalHidden, cell) = (result.Output.Values, result.Hidden, result.Cell);
        }
        else
        {
            var parameters = Gru.Init(generator, inputs, hidden, layers, bidirectional, Cpu);
            names = RecurrentOnnx.Gru(graph, "gru", parameters, x, m);
            var result = Gru.Apply(parameters, values, mask);
            (output, finalHidden) = (result.Output.Values, result.Hidden);
        }
        graph.Output(names.Output, torch.ScalarType.Float32, -1, -1, hidden * (bidirectional ? 2 : 1));
        graph.Output(names.Hidden, torch.ScalarType.Float32, layers * (bidirectional ? 2 : 1), -1, hidden);
        if (names.Cell is not null) graph.Output(names.Cell, torch.ScalarType.Float32, layers * (bidirectional ? 2 : 1), -1, hidden);

        var results = OrtRunner.Run(graph.ToModel(), ("values", values), ("mask", mask));
        OrtRunner.Agrees(output, results[names.Output], $"{what}: output");
        OrtRunner.Agrees(finalHidden, results[names.Hidden], $"{what}: hidden");
        if (cell is not null) OrtRunner.Agrees(cell, results[names.Cell!], $"{what}: cell");
    }
}
