using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The state of a multi-layer unidirectional LSTM between two steps.</summary>
/// <param name="Hidden">[layers, batch, hidden]: each layer's output after the last step (PyTorch's h).</param>
/// <param name="Cell">[layers, batch, hidden]: each layer's cell state (PyTorch's c).</param>
public sealed record LstmState(Tensor Hidden, Tensor Cell);

/// <summary>What one LSTM step returns.</summary>
/// <param name="Output">[batch, hidden]: the last layer's output of this step.</param>
/// <param name="State">The state after this step, to pass to the next one.</param>
public sealed record LstmStepResult(Tensor Output, LstmState State);

/// <summary>
/// One time step of a multi-layer unidirectional LSTM from the weights of <see cref="Lstm"/>: the incremental form
/// of <see cref="Lstm.Apply"/> (for decoding token by token with the state cached).
/// </summary>
public static class LstmStep
{
    const string Layer = nameof(LstmStep);

    /// <summary>The zero state [layers, batch, hidden] of <paramref name="parameters"/> for <paramref name="batch"/> rows (what <see cref="Lstm.Apply"/> starts from).</summary>
    /// <exception cref="LayerInputException">The parameters are bidirectional or have no layer.</exception>
    public static LstmState Zeros(LstmParams parameters, long batch)
    {
        CheckParameters(parameters);
        var weight = parameters.Layers[0].Forward.HiddenWeight;
        long[] shape = [parameters.Layers.Length, batch, weight.shape[1]];
        return new LstmState(zeros(shape, dtype: weight.dtype, device: weight.device), zeros(shape, dtype: weight.dtype, device: weight.device));
    }

    /// <summary>
    /// Advances every row of <paramref name="state"/> by one step on <paramref name="input"/> [batch, inputs]: layer k
    /// reads layer k - 1's new output (PyTorch's cell: gates i, f, g, o). Running it from <see cref="Zeros"/> over the
    /// positions of a sequence gives, at each position, the output <see cref="Lstm.Apply"/> gives there on an all-real mask.
    /// </summary>
    /// <remarks>
    /// Checked before any native call: unidirectional layers, rank 2 input of the weights' dtype, device and width,
    /// and a state [layers, batch, hidden] of both tensors; a violation is a <see cref="LayerInputException"/>. Pure.
    /// </remarks>
    public static LstmStepResult Apply(LstmParams parameters, Tensor input, LstmState state)
    {
        CheckParameters(parameters);
        var first = parameters.Layers[0].Forward;
        InputChecks.Rank(Layer, parameters, input, 2, "[batch, inputs]");
        InputChecks.SameDtypeAndDevice(Layer, parameters, input, first.InputWeight);
        InputChecks.LastDimension(Layer, parameters, input, first.InputWeight.shape[1]);
        long[] expected = [parameters.Layers.Length, input.shape[0], first.HiddenWeight.shape[1]];
        foreach (var part in new[] { state.Hidden, state.Cell })
        {
            if (!part.shape.SequenceEqual(expected))
                throw new LayerInputException(Layer, parameters, $"a state of shape {Shapes.Format(expected)} ([layers, batch, hidden])", Shapes.Describe(part));
            InputChecks.SameDtypeAndDevice(Layer, parameters, part, first.InputWeight);
        }

        using var scope = NewDisposeScope();
        var x = input;
        var hiddens = new Tensor[parameters.Layers.Length];
        var cells = new Tensor[parameters.Layers.Length];
        for (var k = 0; k < parameters.Layers.Length; k++)
        {
            var cell = parameters.Layers[k].Forward;
            var gates = nn.functional.linear(x, cell.InputWeight, cell.InputBias)
                .add(nn.functional.linear(state.Hidden[k], cell.HiddenWeight, cell.HiddenBias), Scalars.One).chunk(4, 1);
            cells[k] = (gates[1].sigmoid() * state.Cell[k]).add(gates[0].sigmoid() * gates[2].tanh(), Scalars.One);
            hiddens[k] = gates[3].sigmoid() * cells[k].tanh();
            x = hiddens[k];
        }
        var result = new LstmStepResult(x.alias(), new LstmState(stack(hiddens, 0), stack(cells, 0)));
        scope.MoveToOuter(result.Output, result.State.Hidden, result.State.Cell);
        return result;
    }

    static void CheckParameters(LstmParams parameters)
    {
        if (parameters.Layers.Length == 0)
            throw new LayerInputException(Layer, parameters, "parameters with at least one layer", "no layers");
        if (parameters.Layers.Any(layer => layer.Backward is not null))
            throw new LayerInputException(Layer, parameters, "unidirectional layers (a step cannot run a backward direction)", "a bidirectional layer");
    }
}
