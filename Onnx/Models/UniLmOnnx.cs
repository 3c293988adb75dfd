using Functional.Core;
using Functional.Inference.Titles;
using Functional.Models.Titles.UniLm;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>
/// The ONNX export of the UniLM title model for decoding without libtorch, as two graphs that mirror
/// <see cref="UniLmStepper"/>: <see cref="Prefix"/> (the articles through the transformer as its first cached step, and
/// what copying reads from them) and <see cref="Step"/> (one cached step of every hypothesis and the copy mixture of
/// <see cref="UniLmForward"/>). Inputs and outputs are named by <see cref="UniLmGraphNames"/>; initializers by the
/// model's tree paths (<c>embedding/weight</c>, <c>segments/weight</c>, <c>stack/layers/{k}/…</c>, <c>copyQuery/…</c>,
/// <c>copyGate/…</c>, <c>copyPrior/…</c>).
/// </summary>
/// <remarks>
/// Articles are suffix-padded with 0 to the batch's longest (at least one slot), as <see cref="UniLmStepper"/> pads them;
/// an empty article is an all-padding row, whose copy gate is 1 (nothing to copy). A search names each hypothesis's
/// article and parent; the step graph gathers those rows itself, so the prefix's outputs and each step's cache feed the
/// next step as they are.
/// </remarks>
public static class UniLmOnnx
{
    /// <summary>
    /// The prefix graph: input <c>article</c> int64 [batch, length]; outputs the prepared article
    /// (<see cref="UniLmGraphNames.ArticleNames"/>) and the blocks' caches of the article slots
    /// (<see cref="UniLmGraphNames.CacheNames"/>): the article's characters plus segment 0, at rotary positions 0, 1, …,
    /// each real character seeing every real character of its article.
    /// </summary>
    public static OnnxGraph Prefix(UniLmParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = torch.NewDisposeScope();
        var graph = new OnnxGraph("unilm-prefix");
        var (blocks, heads, headWidth, width, vocabulary) = Shape(parameters);
        var article = graph.Input(UniLmGraphNames.Article, torch.ScalarType.Int64, -1, -1);
        var mask = graph.Node("Not", "mask", [graph.Node("Equal", "isPadding", [article, graph.Int64s("paddingId", 0)])]);
        var segment = graph.Node("Gather", "segments/Article", [graph.Initializer("segments/weight", parameters.Segments.Weight), graph.Int64s("segments/articleIndex", 0)], OnnxAttribute.Of("axis", 0L));
        var embedded = graph.Node("Add", "embedded", [EmbeddingOnnx.Export(graph, "embedding", parameters.Embedding, article), segment]);
        var x = MasksOnnx.ZeroPadding(graph, "embedded/Padding", embedded, mask, 3);
        // UniLmMask.Allowed with no title: a real slot sees every real slot of its article.
        var allowed = graph.Node("And", "allowed", [
            graph.Node("Unsqueeze", "allowed/Queries", [mask, graph.Int64s("allowed/Queries/axes", 2)]),
            graph.Node("Unsqueeze", "allowed/Keys", [mask, graph.Int64s("allowed/Keys/axes", 1)])]);
        var positions = PositionsOnnx.FromSequence(graph, "positions", mask);
        // The empty caches the first step extends: [batch, heads, 0, headWidth] and a mask [batch, 0].
        var batch = graph.Node("Shape", "batch", [article], OnnxAttribute.Of("start", 0L), OnnxAttribute.Of("end", 1L));
        var emptyShape = graph.Node("Concat", "empty/Shape", [batch, graph.Int64s("empty/Rest", heads, 0, headWidth)], OnnxAttribute.Of("axis", 0L));
        var emptySlots = graph.Node("Expand", "empty/Slots", [graph.Scalar("empty/zero", 0f), emptyShape]);
        var emptyMask = graph.Node("Slice", "empty/Mask", [mask, graph.Int64s("empty/Mask/starts", 0), graph.Int64s("empty/Mask/ends", 0), graph.Int64s("empty/Mask/axes", 1)]);
        var empty = Enumerable.Range(0, blocks).Select(_ => new OnnxKvCache(emptySlots, emptySlots, emptyMask)).ToArray();
        var (memory, caches) = TransformerStackOnnx.Step(graph, "stack", parameters.Stack, x, mask, allowed, positions, empty);

        // UniLmForward.Article: the real ids and the copy prior, scale · present + bias.
        var ids = graph.Node("Where", "realIds", [mask, article, graph.Int64s("paddingIdScalar", 0)]);
        var prior = CopyPriorOnnx.Export(graph, parameters.CopyPrior, ids, batch, "priorSum");
        var known = graph.Node("Not", "knownNot", [graph.Node("Equal", "isUnknown", [ids, graph.Int64s("unknownId", TitleVocabulary.Unknown)])]);
        var lengths = graph.Node("ReduceSum", "lengthsSum", [graph.Node("Cast", "maskLong", [mask], OnnxAttribute.Of("to", 7L)), graph.Int64s("lengths/axes", 1)], OnnxAttribute.Of("keepdims", 0L));

        graph.Output(Rename(graph, "memory", memory), torch.ScalarType.Float32, -1, -1, width);
        graph.Output(Rename(graph, "articleMask", mask), torch.ScalarType.Bool, -1, -1);
        graph.Output(Rename(graph, "ids", ids), torch.ScalarType.Int64, -1, -1);
        graph.Output(Rename(graph, "known", known), torch.ScalarType.Bool, -1, -1);
        graph.Output(Rename(graph, "prior", prior), torch.ScalarType.Float32, -1, vocabulary);
        graph.Output(Rename(graph, "lengths", lengths), torch.ScalarType.Int64, -1);
        OutputCaches(graph, UniLmGraphNames.CacheNames(blocks), caches, heads, headWidth);
        return graph;
    }

    /// <summary>
    /// One step (<see cref="UniLmStepper"/>'s): inputs the prepared article (<see cref="UniLmGraphNames.ArticleNames"/>,
    /// one row per article), the cache (<see cref="UniLmGraphNames.CacheNames"/>), <c>articleRows</c> and <c>cacheRows</c>
    /// int64 [rows] (the row of each a hypothesis reads: the graph selects them, so the host never copies the cache),
    /// <c>previous</c> int64 [rows] and <c>offset</c> int64 [1]; the new character plus segment 1 at rotary position
    /// length + offset attends to every real cached slot and itself. Outputs <c>logProbabilities</c> [rows, vocabulary]
    /// (the copy mixture, floored at 1e-12), <c>source</c> int64 [rows] (the most attended article position holding an
    /// Unknown, −1 when none) and the extended cache (<see cref="UniLmGraphNames.NextCacheNames"/>).
    /// </summary>
    public static OnnxGraph Step(UniLmParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = torch.NewDisposeScope();
        var graph = new OnnxGraph("unilm-step");
        var (blocks, heads, headWidth, width, vocabulary) = Shape(parameters);
        var articleRows = graph.Input(UniLmGraphNames.ArticleRows, torch.ScalarType.Int64, -1);
        var cacheRows = graph.Input(UniLmGraphNames.CacheRows, torch.ScalarType.Int64, -1);
        string Rows(string name, string input, string rowsOf) => graph.Node("Gather", name, [input, rowsOf], OnnxAttribute.Of("axis", 0L));
        var memory = Rows("rows/memory", graph.Input("memory", torch.ScalarType.Float32, -1, -1, width), articleRows);
        var articleMask = Rows("rows/articleMask", graph.Input("articleMask", torch.ScalarType.Bool, -1, -1), articleRows);
        var ids = Rows("rows/ids", graph.Input("ids", torch.ScalarType.Int64, -1, -1), articleRows);
        var known = Rows("rows/known", graph.Input("known", torch.ScalarType.Bool, -1, -1), articleRows);
        var prior = Rows("rows/prior", graph.Input("prior", torch.ScalarType.Float32, -1, vocabulary), articleRows);
        var lengths = Rows("rows/lengths", graph.Input("lengths", torch.ScalarType.Int64, -1), articleRows);
        var previous = graph.Input(UniLmGraphNames.Previous, torch.ScalarType.Int64, -1);
        var offset = graph.Input(UniLmGraphNames.Offset, torch.ScalarType.Int64, 1);
        var cacheMask = Rows("rows/cacheMask", graph.Input(UniLmGraphNames.CacheMask, torch.ScalarType.Bool, -1, -1), cacheRows);
        var caches = Enumerable.Range(0, blocks).Select(k => new OnnxKvCache(
            Rows($"rows/cache/{k}/keys", graph.Input(UniLmGraphNames.CacheKeys(k), torch.ScalarType.Float32, -1, heads, -1, headWidth), cacheRows),
            Rows($"rows/cache/{k}/values", graph.Input(UniLmGraphNames.CacheValues(k), torch.ScalarType.Float32, -1, heads, -1, headWidth), cacheRows), cacheMask)).ToArray();

        // The new character plus segment 1, one real slot per row, at position length + offset.
        var embedding = graph.Initializer("embedding/weight", parameters.Embedding.Weight);
        var segment = graph.Node("Gather", "segments/Title", [graph.Initializer("segments/weight", parameters.Segments.Weight), graph.Int64s("segments/titleIndex", 1)], OnnxAttribute.Of("axis", 0L));
        var character = graph.Node("Gather", "embedding/Gather", [embedding, previous], OnnxAttribute.Of("axis", 0L));
        var x = graph.Node("Unsqueeze", "embedded", [graph.Node("Add", "embeddedRow", [character, segment]), graph.Int64s("embedded/axes", 1)]);
        var rows = graph.Node("Shape", "rows", [previous]);
        var always = graph.Node("Cast", "true", [graph.Int64s("trueLong", 1)], OnnxAttribute.Of("to", 9L));
        var mask = graph.Node("Expand", "mask", [always, graph.Node("Concat", "maskShape", [rows, graph.Int64s("one", 1)], OnnxAttribute.Of("axis", 0L))]);
        var slots = graph.Node("Shape", "slots", [cacheMask], OnnxAttribute.Of("start", 1L), OnnxAttribute.Of("end", 2L));
        var allowedShape = graph.Node("Concat", "allowedShape", [rows, graph.Int64s("oneQuery", 1), graph.Node("Add", "slotsAndNew", [slots, graph.Int64s("oneSlot", 1)])], OnnxAttribute.Of("axis", 0L));
        var allowed = graph.Node("Expand", "allowed", [always, allowedShape]);
        var positions = graph.Node("Unsqueeze", "positions", [graph.Node("Add", "position", [lengths, offset]), graph.Int64s("positions/axes", 1)]);
        var (states, next) = TransformerStackOnnx.Step(graph, "stack", parameters.Stack, x, mask, allowed, positions, caches);

        // UniLmForward.Mixture on [rows, 1, width].
        var root = graph.Scalar("root", (float)Math.Sqrt(width));
        var query = LinearOnnx.Export(graph, "copyQuery", parameters.CopyQuery, states);
        var memoryT = graph.Node("Transpose", "memoryT", [memory], OnnxAttribute.Of("perm", [0L, 2, 1]));
        var scores = graph.Node("Div", "copyScores", [graph.Node("MatMul", "copyProduct", [query, memoryT]), root]);
        var realSlots = graph.Node("Unsqueeze", "realSlots", [articleMask, graph.Int64s("realSlots/axes", 1)]);
        var hidden = graph.Node("Where", "copyScoresMasked", [realSlots, scores, graph.Scalar("lowest", float.MinValue)]);
        var weights = graph.Node("Softmax", "copyWeights", [hidden], OnnxAttribute.Of("axis", -1L));
        var context = graph.Node("MatMul", "context", [weights, memory]);
        // The tied output layer reads the embedding transposed (a node ONNX Runtime folds at load, so the file holds the table once).
        var embeddingT = graph.Node("Transpose", "embedding/Transposed", [embedding], OnnxAttribute.Of("perm", [1L, 0]));
        var logits = graph.Node("Div", "logits", [graph.Node("MatMul", "logitsProduct", [states, embeddingT]), root]);
        var priorRows = graph.Node("Unsqueeze", "priorRows", [prior, graph.Int64s("priorRows/axes", 1)]);
        var writing = graph.Node("Softmax", "writing", [graph.Node("Div", "writingHalf", [graph.Node("Add", "writingSum", [logits, priorRows]), graph.Scalar("two", 2f)])], OnnxAttribute.Of("axis", -1L));
        var gateLogit = LinearOnnx.Export(graph, "copyGate", parameters.CopyGate, graph.Node("Concat", "gateInput", [states, context], OnnxAttribute.Of("axis", 2L)));
        var gate = Logistic(graph, "writeGate", gateLogit);
        // An empty article has nothing to copy: its rows write with probability 1.
        var anyReal = graph.Node("Cast", "anyReal", [graph.Node("ReduceMax", "anyRealInt", [graph.Node("Cast", "articleMaskInt", [articleMask], OnnxAttribute.Of("to", 6L))], OnnxAttribute.Of("axes", [1L]), OnnxAttribute.Of("keepdims", 0L))], OnnxAttribute.Of("to", 9L));
        var emptyArticle = graph.Node("Unsqueeze", "emptyArticle", [graph.Node("Not", "noReal", [anyReal]), graph.Int64s("emptyArticle/axes", 1, 2)]);
        var write = graph.Node("Where", "write", [emptyArticle, graph.Scalar("alwaysWrite", 1f), gate]);
        var blank = graph.Node("Expand", "copyingBlank", [graph.Scalar("zeroCopying", 0f), graph.Node("Shape", "writingShape", [writing])]);
        var copying = graph.Node("ScatterElements", "copying", [blank, graph.Node("Unsqueeze", "copyTargets", [ids, graph.Int64s("copyTargets/axes", 1)]), weights], OnnxAttribute.Of("axis", 2L), OnnxAttribute.Of("reduction", "add"));
        // 1 − write as sigmoid(−logit), which keeps its relative precision where write is near 1.
        var copy = graph.Node("Where", "copy", [emptyArticle, graph.Scalar("neverCopy", 0f), Logistic(graph, "copyGate/Copy", graph.Node("Neg", "copyGate/Negated", [gateLogit]))]);
        var probabilities = graph.Node("Add", "probabilities", [graph.Node("Mul", "written", [write, writing]), graph.Node("Mul", "copied", [copy, copying])]);
        var squeezed = graph.Node("Squeeze", "probabilitiesRow", [probabilities, graph.Int64s("probabilitiesRow/axes", 1)]);
        var logProbabilities = graph.Node("Log", UniLmGraphNames.LogProbabilities, [graph.Node("Max", "floored", [squeezed, graph.Scalar("floor", 1e-12f)])]);
        // TitleDecoder.MostAttendedUnknown: known positions count as −1, then the largest weight's position, −1 if none is ≥ 0.
        var lastWeights = graph.Node("Squeeze", "lastWeights", [weights, graph.Int64s("lastWeights/axes", 1)]);
        var unknownWeights = graph.Node("Where", "unknownWeights", [known, graph.Scalar("minusOne", -1f), lastWeights]);
        var most = graph.Node("ReduceMax", "most", [unknownWeights], OnnxAttribute.Of("axes", [1L]), OnnxAttribute.Of("keepdims", 0L));
        var at = graph.Node("ArgMax", "mostAt", [unknownWeights], OnnxAttribute.Of("axis", 1L), OnnxAttribute.Of("keepdims", 0L));
        var source = graph.Node("Where", UniLmGraphNames.Source, [graph.Node("Less", "noneAttended", [most, graph.Scalar("zeroMost", 0f)]), graph.Int64s("minusOneId", -1), at]);

        graph.Output(logProbabilities, torch.ScalarType.Float32, -1, vocabulary);
        graph.Output(source, torch.ScalarType.Int64, -1);
        OutputCaches(graph, UniLmGraphNames.NextCacheNames(blocks), next, heads, headWidth);
        return graph;
    }

    /// <summary>Blocks, heads, head width, width and vocabulary of <paramref name="parameters"/>.</summary>
    static (int Blocks, long Heads, long HeadWidth, long Width, long Vocabulary) Shape(UniLmParams parameters)
    {
        var width = parameters.Embedding.Weight.shape[1];
        var heads = parameters.Stack.Layers[0].SelfAttn.Heads;
        return (parameters.Stack.Layers.Length, heads, width / heads, width, parameters.Embedding.Weight.shape[0]);
    }

    /// <summary>
    /// 1 / (1 + e^−x), written out: ONNX Runtime's <c>Sigmoid</c> is a polynomial approximation whose relative error on
    /// small outputs (a gate near 0) reached 3e-5 in the log-probabilities, where libtorch's is float32 rounding.
    /// </summary>
    static string Logistic(OnnxGraph graph, string path, string x) =>
        graph.Node("Reciprocal", path, [graph.Node("Add", $"{path}/OnePlus", [graph.Scalar($"{path}/one", 1f), graph.Node("Exp", $"{path}/Exp", [graph.Node("Neg", $"{path}/Neg", [x])])])]);

    /// <summary>Declares the caches as outputs named <paramref name="names"/> (keys and values per block, then the mask, which every block shares).</summary>
    static void OutputCaches(OnnxGraph graph, string[] names, OnnxKvCache[] caches, long heads, long headWidth)
    {
        for (var k = 0; k < caches.Length; k++)
        {
            graph.Output(Rename(graph, names[2 * k], caches[k].Keys), torch.ScalarType.Float32, -1, heads, -1, headWidth);
            graph.Output(Rename(graph, names[2 * k + 1], caches[k].Values), torch.ScalarType.Float32, -1, heads, -1, headWidth);
        }
        graph.Output(Rename(graph, names[^1], caches[0].Mask), torch.ScalarType.Bool, -1, -1);
    }

    static string Rename(OnnxGraph graph, string name, string value) => value == name ? name : graph.Node("Identity", name, [value]);
}
