using Functional.Models.Titles;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>
/// The copy prior of both title models in a graph: which characters each article holds (padding id 0 never), scaled and
/// shifted per character, <c>scale · present + bias</c> [rows, vocabulary], as <c>CopyPrior</c> computes it in the models.
/// </summary>
public static class CopyPriorOnnx
{
    /// <summary>
    /// Adds the prior of <paramref name="ids"/> (int64 [rows, length], padding 0) to <paramref name="graph"/> as the
    /// node <paramref name="output"/>; <paramref name="rows"/> is a 1-element int64 node holding the row count.
    /// </summary>
    public static string Export(OnnxGraph graph, CopyPriorParams prior, string ids, string rows, string output)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(prior);
        var vocabulary = prior.Scale.shape[0];
        var presentShape = graph.Node("Concat", "presentShape", [rows, graph.Int64s("vocabulary", vocabulary)], OnnxAttribute.Of("axis", 0L));
        var blank = graph.Node("Expand", "blank", [graph.Scalar("zeroPresent", 0f), presentShape]);
        var ones = graph.Node("Expand", "ones", [graph.Scalar("one", 1f), graph.Node("Shape", "articleShape", [ids])]);
        var scattered = graph.Node("ScatterElements", "scattered", [blank, ids, ones], OnnxAttribute.Of("axis", 1L));
        using var notPadding = torch.ones(vocabulary);
        notPadding[0] = torch.tensor(0f);
        var present = graph.Node("Mul", "present", [scattered, graph.Initializer("notPadding", notPadding)]);
        return graph.Node("Add", output, [graph.Node("Mul", "priorScaled", [present, graph.Initializer("copyPrior/scale", prior.Scale)]), graph.Initializer("copyPrior/bias", prior.Bias)]);
    }
}
