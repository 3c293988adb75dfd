using Functional.Core;
using Functional.Models.Titles;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>
/// The ONNX export of the LSTM title model for decoding without libtorch, as two graphs that mirror
/// <see cref="IncrementalDecoder"/>: <see cref="Encoder"/> (the article through <see cref="TitleEncoder.Apply"/> and
/// <see cref="IncrementalDecoder.PrepareArticles"/>) and <see cref="DecoderStep"/> (one <see cref="IncrementalDecoder.Step"/>).
/// </summary>
/// <remarks>
/// The encoder's outputs are the step's article inputs, by the same names (<c>keys</c>, <c>keyBias</c>, <c>values</c>,
/// <c>constant</c>, <c>outputBias</c>, <c>ids</c>, <c>known</c>); a beam search selects their rows for its beams and
/// feeds them to every step with the previous characters and the LSTM state. Articles must be prefix-padded with the
/// padding id 0 (as the corpora are).
/// </remarks>
public static class TitleModelOnnx
{
    /// <summary>The article inputs of a step, in the order the encoder outputs them.</summary>
    public static readonly IReadOnlyList<string> ArticleNames = ["keys", "keyBias", "values", "constant", "outputBias", "ids", "known"];

    /// <summary>
    /// The encoder graph: input <c>article</c> int64 [batch, length] (0 = padding); outputs the prepared article
    /// (<see cref="PreparedArticles"/>'s fields, named as <see cref="ArticleNames"/>).
    /// </summary>
    public static OnnxGraph Encoder(TitleModelParams parameters)
    {
        using var scope = torch.NewDisposeScope();
        var graph = new OnnxGraph("title-encoder");
        var article = graph.Input("article", torch.ScalarType.Int64, -1, -1);
        var mask = graph.Node("Not", "mask", [graph.Node("Equal", "isPadding", [article, graph.Int64s("paddingId", 0)])]);
        var embedded = MasksOnnx.ZeroPadding(graph, "embedding/Padding", EmbeddingOnnx.Export(graph, "embedding", parameters.Embedding, article), mask, 3);
        var memory = RecurrentOnnx.Lstm(graph, "encoder", parameters.Encoder, embedded, mask).Output;
        var anyReal = graph.Node("Cast", "anyReal", [graph.Node("ReduceMax", "anyRealInt", [graph.Node("Cast", "maskInt", [mask], OnnxAttribute.Of("to", 6L))], OnnxAttribute.Of("axes", [1L]), OnnxAttribute.Of("keepdims", 0L))], OnnxAttribute.Of("to", 9L));
        // Masks.Max: the largest real value per feature, zeros for an article without real characters.
        var filled = graph.Node("Where", "summary/Fill", [graph.Node("Unsqueeze", "mask3", [mask, graph.Int64s("axis2", 2)]), memory, graph.Scalar("lowest", float.MinValue)]);
        var maximum = graph.Node("ReduceMax", "summary/Max", [filled], OnnxAttribute.Of("axes", [1L]), OnnxAttribute.Of("keepdims", 0L));
        var summary = graph.Node("Where", "summary", [graph.Node("Unsqueeze", "anyReal2", [anyReal, graph.Int64s("axis1b", 1)]), maximum, graph.Scalar("zero", 0f)]);
        // The copy prior: which characters the article holds (padding never), scaled and shifted per character.
        var vocabulary = parameters.CopyPrior.Scale.shape[0];
        var rows = graph.Node("Shape", "rows", [article], OnnxAttribute.Of("start", 0L), OnnxAttribute.Of("end", 1L));
        var prior = CopyPriorOnnx.Export(graph, parameters.CopyPrior, article, rows, "prior");

        // IncrementalDecoder.PrepareArticles.
        var state = parameters.Decoder.Layers[0].Forward.HiddenWeight.shape[1];
        var width = 2 * parameters.Encoder.Layers[0].Forward.HiddenWeight.shape[1];
        var root = graph.Scalar("root", (float)Math.Sqrt(width));
        var padding = graph.Node("Not", "padding", [mask]);
        var keys = graph.Node("Transpose", "keys", [graph.Node("Div", "keysScaled", [graph.Node("MatMul", "keysProduct", [memory, graph.Initializer("attentionQuery/weight", parameters.AttentionQuery.Weight)]), root])], OnnxAttribute.Of("perm", [0L, 2, 1]));
        var keyBias = graph.Node("Where", "keyBiasFill", [padding, graph.Scalar("lowestBias", float.MinValue), graph.Scalar("zeroBias", 0f)]);
        if (parameters.AttentionQuery.Bias is { } queryBias)
        {
            var projected = graph.Node("Div", "keyBiasScaled", [graph.Node("MatMul", "keyBiasProduct", [memory, graph.Initializer("attentionQuery/bias", queryBias)]), root]);
            keyBias = graph.Node("Add", "keyBiasSum", [keyBias, graph.Node("Where", "keyBiasMasked", [padding, graph.Scalar("zeroQueryBias", 0f), projected])]);
        }
        keyBias = graph.Node("Unsqueeze", "keyBias", [keyBias, graph.Int64s("keyBias/axes", 1)]);
        var fused = torch.cat([parameters.Hidden.Weight, parameters.CopyGate.Weight], 0);
        var outputs = fused.shape[0];
        var valuesProduct = graph.Node("MatMul", "valuesProduct", [memory, graph.Initializer("values/weight", fused.narrow(1, state, width).t())]);
        var values = MasksOnnx.ZeroPadding(graph, "values", valuesProduct, mask, 3);
        var biases = torch.cat([parameters.Hidden.Bias ?? torch.zeros(outputs - 1), parameters.CopyGate.Bias ?? torch.zeros(1)], 0);
        var constantSum = graph.Node("Add", "constantSum", [graph.Node("MatMul", "constantProduct", [summary, graph.Initializer("constant/weight", fused.narrow(1, state + width, width).t())]), graph.Initializer("constant/bias", biases)]);
        // An empty article has nothing to copy: its copy gate's logit is +∞.
        var gateColumn = torch.zeros(outputs, dtype: torch.ScalarType.Bool);
        gateColumn[outputs - 1] = torch.tensor(true);
        var emptyGate = graph.Node("And", "emptyGate", [graph.Node("Unsqueeze", "empty", [graph.Node("Not", "noReal", [anyReal]), graph.Int64s("empty/axes", 1)]), graph.Initializer("gateColumn", gateColumn)]);
        var constant = graph.Node("Where", "constant", [emptyGate, graph.Scalar("infinity", float.PositiveInfinity), constantSum]);
        var outputBiasSum = parameters.Output.Bias is { } outputBias ? graph.Node("Add", "outputBiasSum", [prior, graph.Initializer("output/bias", outputBias)]) : prior;
        var halfOutputBias = graph.Node("Div", "outputBias", [outputBiasSum, graph.Scalar("two", 2f)]);
        var ids = graph.Node("Where", "ids", [mask, article, graph.Int64s("paddingIdScalar", 0)]);
        var known = graph.Node("Not", "known", [graph.Node("Equal", "isUnknown", [ids, graph.Int64s("unknownId", 1)])]);

        foreach (var (name, value, dims) in new[]
        {
            ("keys", keys, new long[] { -1, state, -1 }), ("keyBias", keyBias, [-1, 1, -1]), ("values", values, [-1, -1, outputs]),
            ("constant", constant, [-1, outputs]), ("outputBias", halfOutputBias, [-1, vocabulary]),
        })
            graph.Output(Rename(graph, name, value), torch.ScalarType.Float32, dims);
        graph.Output(Rename(graph, "ids", ids), torch.ScalarType.Int64, -1, -1);
        graph.Output(Rename(graph, "known", known), torch.ScalarType.Bool, -1, -1);
        return graph;
    }

    /// <summary>
    /// One decoder step (<see cref="IncrementalDecoder.Step"/>): inputs the prepared article (<see cref="ArticleNames"/>,
    /// one row per beam), <c>previous</c> int64 [rows] (the last character), <c>hidden</c> and <c>cell</c> float32
    /// [layers, rows, decoderHidden]; outputs <c>logProbabilities</c> [rows, vocabulary], the next <c>nextHidden</c> and
    /// <c>nextCell</c>, and <c>source</c> int64 [rows] (the most attended article position holding an unknown character,
    /// −1 when none is attended).
    /// </summary>
    public static OnnxGraph DecoderStep(TitleModelParams parameters)
    {
        using var scope = torch.NewDisposeScope();
        var graph = new OnnxGraph("title-decoder-step");
        var state = parameters.Decoder.Layers[0].Forward.HiddenWeight.shape[1];
        var outputs = parameters.Hidden.Weight.shape[0] + 1;
        var vocabulary = parameters.CopyPrior.Scale.shape[0];
        var layerCount = parameters.Decoder.Layers.Length;
        var keys = graph.Input("keys", torch.ScalarType.Float32, -1, state, -1);
        var keyBias = graph.Input("keyBias", torch.ScalarType.Float32, -1, 1, -1);
        var values = graph.Input("values", torch.ScalarType.Float32, -1, -1, outputs);
        var constant = graph.Input("constant", torch.ScalarType.Float32, -1, outputs);
        var outputBias = graph.Input("outputBias", torch.ScalarType.Float32, -1, vocabulary);
        var ids = graph.Input("ids", torch.ScalarType.Int64, -1, -1);
        var known = graph.Input("known", torch.ScalarType.Bool, -1, -1);
        var previous = graph.Input("previous", torch.ScalarType.Int64, -1);
        var hidden = graph.Input("hidden", torch.ScalarType.Float32, layerCount, -1, state);
        var cell = graph.Input("cell", torch.ScalarType.Float32, layerCount, -1, state);

        var x = graph.Node("Gather", "embedding", [graph.Initializer("embedding/weight", parameters.Embedding.Weight), previous], OnnxAttribute.Of("axis", 0L));
        var hiddens = new List<string>();
        var cells = new List<string>();
        for (var k = 0; k < layerCount; k++)
        {
            var path = $"decoder/layers/{k}";
            var weights = parameters.Decoder.Layers[k].Forward;
            var h = graph.Node("Gather", $"{path}/h", [hidden, graph.Int64s($"{path}/index", k)], OnnxAttribute.Of("axis", 0L));
            var c = graph.Node("Gather", $"{path}/c", [cell, graph.Int64s($"{path}/cIndex", k)], OnnxAttribute.Of("axis", 0L));
            h = graph.Node("Squeeze", $"{path}/hRow", [h, graph.Int64s($"{path}/hAxes", 0)]);
            c = graph.Node("Squeeze", $"{path}/cRow", [c, graph.Int64s($"{path}/cAxes", 0)]);
            // Gates i, f, g, o (PyTorch's order, as our records): bias + x·Wiᵀ + h·Whᵀ.
            var gates = graph.Node("Add", $"{path}/gates", [
                graph.Node("Add", $"{path}/inputGates", [graph.Initializer($"{path}/bias", weights.InputBias.add(weights.HiddenBias, Scalars.One)), graph.Node("MatMul", $"{path}/inputProduct", [x, graph.Initializer($"{path}/inputWeight_t", weights.InputWeight.t())])]),
                graph.Node("MatMul", $"{path}/hiddenProduct", [h, graph.Initializer($"{path}/hiddenWeight_t", weights.HiddenWeight.t())])]);
            var split = graph.Node("Split", $"{path}/split", [gates, graph.Int64s($"{path}/sizes", state, state, state, state)], ["i", "f", "g", "o"], OnnxAttribute.Of("axis", 1L));
            var nextCell = graph.Node("Add", $"{path}/nextCell", [
                graph.Node("Mul", $"{path}/keep", [graph.Node("Sigmoid", $"{path}/forget", [split[1]]), c]),
                graph.Node("Mul", $"{path}/write", [graph.Node("Sigmoid", $"{path}/input", [split[0]]), graph.Node("Tanh", $"{path}/candidate", [split[2]])])]);
            x = graph.Node("Mul", $"{path}/nextHidden", [graph.Node("Sigmoid", $"{path}/output", [split[3]]), graph.Node("Tanh", $"{path}/cellTanh", [nextCell])]);
            hiddens.Add(graph.Node("Unsqueeze", $"{path}/hiddenOut", [x, graph.Int64s($"{path}/hiddenOutAxes", 0)]));
            cells.Add(graph.Node("Unsqueeze", $"{path}/cellOut", [nextCell, graph.Int64s($"{path}/cellOutAxes", 0)]));
        }
        var query = graph.Node("Unsqueeze", "query", [x, graph.Int64s("query/axes", 1)]);
        var attention = graph.Node("Softmax", "attention", [graph.Node("Add", "scores", [graph.Node("MatMul", "scoresProduct", [query, keys]), keyBias])], OnnxAttribute.Of("axis", -1L));
        var stateColumns = parameters.Decoder.Layers[0].Forward.HiddenWeight.shape[1];
        var stateWeight = torch.cat([parameters.Hidden.Weight.narrow(1, 0, stateColumns).t(), parameters.CopyGate.Weight.narrow(1, 0, stateColumns).t()], 1);
        var stateTerm = graph.Node("Add", "stateTerm", [constant, graph.Node("MatMul", "stateProduct", [x, graph.Initializer("state/weight", stateWeight)])]);
        var features = graph.Node("Squeeze", "features", [
            graph.Node("Add", "featuresSum", [graph.Node("MatMul", "attended", [attention, values]), graph.Node("Unsqueeze", "stateTerm3", [stateTerm, graph.Int64s("stateTerm/axes", 1)])]),
            graph.Int64s("features/axes", 1)]);
        var parts = graph.Node("Split", "parts", [features, graph.Int64s("parts/sizes", outputs - 1, 1)], ["hidden", "gate"], OnnxAttribute.Of("axis", 1L));
        var outputHidden = graph.Node("LeakyRelu", "outputHidden", [parts[0]], OnnxAttribute.Of("alpha", 0.2f));
        var write = graph.Node("Sigmoid", "writeGate", [parts[1]]);
        var logits = graph.Node("Add", "logits", [outputBias, graph.Node("Mul", "halfProduct", [graph.Node("MatMul", "outputProduct", [outputHidden, graph.Initializer("output/weight_t", parameters.Output.Weight.t())]), graph.Scalar("half", 0.5f)])]);
        var written = graph.Node("Mul", "written", [graph.Node("Softmax", "vocabularyProbabilities", [logits], OnnxAttribute.Of("axis", 1L)), write]);
        var weights2 = graph.Node("Squeeze", "weights", [attention, graph.Int64s("weights/axes", 1)]);
        var copied = graph.Node("Mul", "copied", [weights2, graph.Node("Sub", "copyGate", [graph.Scalar("oneCopy", 1f), write])]);
        var probabilities = graph.Node("ScatterElements", "probabilities", [written, ids, copied], OnnxAttribute.Of("axis", 1L), OnnxAttribute.Of("reduction", "add"));
        var logProbabilities = graph.Node("Log", "logProbabilities", [graph.Node("Max", "floored", [probabilities, graph.Scalar("floor", 1e-12f)])]);
        // TitleDecoder.MostAttendedUnknown: known positions count as −1, then the largest weight's position, −1 if none is ≥ 0.
        var unknownWeights = graph.Node("Where", "unknownWeights", [known, graph.Scalar("minusOne", -1f), weights2]);
        var most = graph.Node("ReduceMax", "most", [unknownWeights], OnnxAttribute.Of("axes", [1L]), OnnxAttribute.Of("keepdims", 0L));
        var position = graph.Node("ArgMax", "position", [unknownWeights], OnnxAttribute.Of("axis", 1L), OnnxAttribute.Of("keepdims", 0L));
        var source = graph.Node("Where", "source", [graph.Node("Less", "noneAttended", [most, graph.Scalar("zeroMost", 0f)]), graph.Int64s("minusOneId", -1), position]);
        var nextHidden = graph.Node("Concat", "nextHidden", hiddens, OnnxAttribute.Of("axis", 0L));
        var nextCellState = graph.Node("Concat", "nextCell", cells, OnnxAttribute.Of("axis", 0L));
        graph.Output(logProbabilities, torch.ScalarType.Float32, -1, vocabulary);
        graph.Output(nextHidden, torch.ScalarType.Float32, layerCount, -1, state);
        graph.Output(nextCellState, torch.ScalarType.Float32, layerCount, -1, state);
        graph.Output(source, torch.ScalarType.Int64, -1);
        return graph;
    }

    static string Rename(OnnxGraph graph, string name, string value) => value == name ? name : graph.Node("Identity", name, [value]);
}
