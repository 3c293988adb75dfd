using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles;

/// <summary>One decoder LSTM layer as <see cref="IncrementalDecoder.Step"/> reads it.</summary>
/// <param name="InputWeight">[inputs, 4·hidden]: the input weight transposed, gates reordered i, f, o, g (the three sigmoid gates first).</param>
/// <param name="HiddenWeight">[hidden, 4·hidden]: the hidden weight transposed, gates in the same order.</param>
/// <param name="Bias">[4·hidden]: input bias + hidden bias, gates in the same order.</param>
public sealed record PreparedLstmLayer(torch.Tensor InputWeight, torch.Tensor HiddenWeight, torch.Tensor Bias);

/// <summary>The decoder's weights as <see cref="IncrementalDecoder.Step"/> reads them, rearranged once from the parameters.</summary>
/// <param name="Embedding">[vocabulary, embedding]: the parameters' own embedding (an alias).</param>
/// <param name="Layers">The decoder LSTM's layers.</param>
/// <param name="StateWeight">[decoderHidden, outputHidden + 1]: the state columns of the hidden layer and, last, of the copy gate, transposed.</param>
/// <param name="OutputWeight">[outputHidden, vocabulary]: the output layer's weight transposed (a view).</param>
public sealed record PreparedDecoder(torch.Tensor Embedding, PreparedLstmLayer[] Layers, torch.Tensor StateWeight, torch.Tensor OutputWeight);

/// <summary>
/// The fast form of <see cref="TitleDecoder.Step"/>, which beam search, greedy decoding and sampling run: the same
/// function of the same parameters, up to float rounding, with what does not change over the steps computed once
/// (<see cref="Prepare"/>, <see cref="PrepareArticles"/>) and the rest fused into few operations: the embedding lookup
/// and both LSTM matmuls add into one gate tensor, the three sigmoid gates are one call, the attention scores are one
/// batched matmul against the pre-projected keys, the hidden layer and the copy gate are one matmul on the state plus
/// one on the attention weights (the context is never formed), the copy prior is in the output matmul's bias, and the
/// copied attention is scattered into the mixture in place.
/// </summary>
public static class IncrementalDecoder
{
    const string Layer = nameof(IncrementalDecoder);

    /// <summary>The slope of the hidden layer's leaky ReLU for negative inputs (as <see cref="TitleDecoder"/>'s).</summary>
    static readonly Scalar HiddenSlope = 0.2.ToScalar();

    /// <summary>The copy gate's logit for an empty article: sigmoid gives exactly 1 (writing only).</summary>
    static readonly Scalar Infinity = double.PositiveInfinity.ToScalar();

    /// <summary>
    /// The decoder's weights rearranged for <see cref="Step"/>: the small ones (LSTM, state columns) as [inputs,
    /// outputs] row-major copies, on which a matmul with few rows runs faster; the output layer's as a transposed view
    /// (copying it would cost, on a vocabulary of thousands, about as much as a whole title's steps gain). Pure; without
    /// gradients (for decoding).
    /// </summary>
    /// <exception cref="LayerInputException">The decoder LSTM has no layer or a bidirectional one.</exception>
    public static PreparedDecoder Prepare(TitleModelParams parameters)
    {
        var decoder = parameters.Decoder;
        if (decoder.Layers.Length == 0 || decoder.Layers.Any(layer => layer.Backward is not null))
            throw new LayerInputException(Layer, parameters, "a decoder LSTM of unidirectional layers (at least one)", $"{decoder.Layers.Length} layer(s), bidirectional: {decoder.Layers.Any(layer => layer.Backward is not null)}");
        return Memory.Scoped(() =>
        {
            using var noGradient = torch.no_grad();
            var layers = decoder.Layers.Select(layer =>
            {
                var cell = layer.Forward;
                return new PreparedLstmLayer(Reordered(cell.InputWeight.t(), 1), Reordered(cell.HiddenWeight.t(), 1), Reordered(cell.InputBias.add(cell.HiddenBias, Scalars.One), 0));
            }).ToArray();
            var stateColumns = decoder.Layers[0].Forward.HiddenWeight.shape[1];
            var stateWeight = torch.cat([parameters.Hidden.Weight.narrow(1, 0, stateColumns).t(), parameters.CopyGate.Weight.narrow(1, 0, stateColumns).t()], 1);
            return new PreparedDecoder(parameters.Embedding.Weight.alias(), layers, stateWeight, parameters.Output.Weight.t());
        });
    }

    /// <summary>
    /// What the steps read about <paramref name="article"/> (one row per article), projected once (see
    /// <see cref="PreparedArticles"/>). Pure; without gradients (for decoding).
    /// </summary>
    /// <exception cref="LayerInputException">The memory's width does not fit the hidden layer's columns.</exception>
    public static PreparedArticles PrepareArticles(TitleModelParams parameters, EncodedArticle article)
    {
        var state = parameters.Decoder.Layers[0].Forward.HiddenWeight.shape[1];
        var width = article.Memory.shape[2];
        if (parameters.Hidden.Weight.shape[1] != state + 2 * width)
            throw new LayerInputException(Layer, parameters, $"a memory of width {(parameters.Hidden.Weight.shape[1] - state) / 2} (the hidden layer's [state, context, summary] columns)", Shapes.Describe(article.Memory));
        return Memory.Scoped(() =>
        {
            using var noGradient = torch.no_grad();
            using var root = Math.Sqrt(width).ToScalar();
            using var lowest = torch.finfo(article.Memory.dtype).min.ToScalar();
            var padding = article.Mask.logical_not();
            // Keys: score = (s Wqᵀ + b) · m / √d = s · (m Wq / √d) + (b · m) / √d.
            var query = parameters.AttentionQuery;
            var keys = article.Memory.matmul(query.Weight).div(root).transpose(1, 2);
            var keyBias = torch.zeros_like(article.Mask, dtype: article.Memory.dtype).masked_fill(padding, lowest).unsqueeze(1);
            if (query.Bias is not null) keyBias = keyBias.add(article.Memory.matmul(query.Bias).div(root).masked_fill(padding, Scalars.Zero).unsqueeze(1), Scalars.One);
            var fused = torch.cat([parameters.Hidden.Weight, parameters.CopyGate.Weight], 0);
            var outputs = fused.shape[0];
            var values = article.Memory.matmul(fused.narrow(1, state, width).t()).masked_fill(padding.unsqueeze(-1), Scalars.Zero);
            var constant = article.Summary.matmul(fused.narrow(1, state + width, width).t());
            var biases = torch.cat([Bias(parameters.Hidden, outputs - 1), Bias(parameters.CopyGate, 1)], 0);
            constant = constant.add(biases, Scalars.One);
            // An empty article has nothing to copy: its gate's logit is +∞, so it writes with probability 1.
            constant.narrow(1, outputs - 1, 1).masked_fill_(article.Mask.any(1).logical_not().unsqueeze(1), Infinity);
            var outputBias = parameters.Output.Bias is null ? article.Prior : article.Prior.add(parameters.Output.Bias, Scalars.One);
            return new PreparedArticles(keys, keyBias, values, constant, outputBias.div(Scalars.Two), article.Ids.alias(), TitleDecoder.KnownPositions(article.Ids));
        });
    }

    /// <summary>
    /// <see cref="TitleDecoder.Step"/> on prepared weights and articles: reads <paramref name="previous"/> (int64 [rows])
    /// from <paramref name="state"/> and returns the next character's log-probabilities [rows, vocabulary] and the new
    /// state; row r reads row r of <paramref name="articles"/> (use <see cref="PreparedArticles.Select"/> or
    /// <see cref="PreparedArticles.Repeat"/> to match rows to articles), and per row the most attended Unknown position
    /// (<see cref="DecoderStepResult.UnknownSource"/>). Equals <see cref="TitleDecoder.Step"/> on the parameters and
    /// articles they were prepared from, up to float rounding. Pure; evaluation mode; one dispose scope.
    /// </summary>
    /// <exception cref="LayerInputException">The characters are not int64 [rows], or the state is not [layers, rows, hidden].</exception>
    public static DecoderStepResult Step(PreparedDecoder decoder, PreparedArticles articles, torch.Tensor previous, LstmState state)
    {
        var rows = articles.Ids.shape[0];
        if (previous.dtype != torch.int64 || previous.dim() != 1 || previous.shape[0] != rows)
            throw new LayerInputException(Layer, decoder, $"characters int64 [{rows}] (one per prepared row)", Shapes.Describe(previous));
        long[] expected = [decoder.Layers.Length, rows, decoder.Layers[0].HiddenWeight.shape[0]];
        if (!state.Hidden.shape.SequenceEqual(expected) || !state.Cell.shape.SequenceEqual(expected))
            throw new LayerInputException(Layer, decoder, $"a state of shape {Shapes.Format(expected)} ([layers, rows, hidden])", $"{Shapes.Describe(state.Hidden)} and {Shapes.Describe(state.Cell)}");
        return Memory.Scoped(() =>
        {
            using var noGradient = torch.no_grad();
            var x = decoder.Embedding.index_select(0, previous);
            var hiddens = new torch.Tensor[decoder.Layers.Length];
            var cells = new torch.Tensor[decoder.Layers.Length];
            for (var k = 0; k < decoder.Layers.Length; k++)
            {
                var layer = decoder.Layers[k];
                var width = layer.HiddenWeight.shape[0];
                var gates = torch.addmm(layer.Bias, x, layer.InputWeight, 1, 1).addmm_(state.Hidden[k], layer.HiddenWeight, 1, 1);
                var sigmoids = gates.narrow(1, 0, 3 * width).sigmoid();
                var candidate = gates.narrow(1, 3 * width, width).tanh();
                // c = f · c + i · g, h = o · tanh(c) (PyTorch's cell).
                cells[k] = sigmoids.narrow(1, width, width).mul(state.Cell[k]).addcmul_(sigmoids.narrow(1, 0, width), candidate, Scalars.One);
                hiddens[k] = sigmoids.narrow(1, 2 * width, width).mul(cells[k].tanh());
                x = hiddens[k];
            }
            // TorchSharp's batch1.baddbmm(batch2, input) is input + batch1 @ batch2.
            var weights = x.unsqueeze(1).baddbmm(articles.Keys, articles.KeyBias).softmax(-1);
            var features = weights.baddbmm(articles.Values, torch.addmm(articles.Constant, x, decoder.StateWeight, 1, 1).unsqueeze(1)).squeeze(1);
            var outputs = features.shape[1] - 1;
            var hidden = features.narrow(1, 0, outputs).leaky_relu(HiddenSlope);
            var write = features.narrow(1, outputs, 1).sigmoid();
            var probabilities = torch.addmm(articles.OutputBias, hidden, decoder.OutputWeight, 1, 0.5f).softmax(1).mul_(write);
            var copy = write.neg().add_(Scalars.One, Scalars.One);   // 1 - write
            probabilities.scatter_add_(1, articles.Ids, weights.squeeze(1).mul(copy));
            var logProbabilities = probabilities.clamp_min_(TitleDecoder.FloorScalar).log_();
            var source = TitleDecoder.MostAttendedUnknown(weights.squeeze(1), articles.Known);
            return new DecoderStepResult(logProbabilities, new LstmState(torch.stack(hiddens, 0), torch.stack(cells, 0)), source);
        });
    }

    /// <summary>Gates i, f, g, o along <paramref name="dimension"/> reordered as i, f, o, g (one contiguous copy).</summary>
    static torch.Tensor Reordered(torch.Tensor gates, long dimension)
    {
        var chunks = gates.chunk(4, dimension);
        return torch.cat([chunks[0], chunks[1], chunks[3], chunks[2]], dimension);
    }

    static torch.Tensor Bias(LinearParams layer, long outputs) =>
        layer.Bias ?? torch.zeros(outputs, dtype: layer.Weight.dtype, device: layer.Weight.device);
}
