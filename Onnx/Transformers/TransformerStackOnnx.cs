using Functional.Core;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>
/// The ONNX graph of <see cref="TransformerStack.Apply"/> and <see cref="TransformerStack.Step"/>: the blocks at
/// <c>&lt;path&gt;/layers/{k}</c> in order, then the optional final norm at <c>&lt;path&gt;/norm</c> (padded tokens stay
/// zeros); and <see cref="Graph"/>, a whole stack as a standalone model, checked against an example input at export.
/// </summary>
public static class TransformerStackOnnx
{
    /// <summary>
    /// Adds the stack at <paramref name="path"/> (an empty path puts the blocks at <c>layers/{k}</c>) over
    /// <paramref name="x"/> [batch, length, model] with Bool <paramref name="mask"/> [batch, length],
    /// <paramref name="allowed"/> [batch, length, length] and int64 <paramref name="positions"/> [batch, length] (null
    /// without rotary); returns [batch, length, model].
    /// </summary>
    public static string Export(OnnxGraph graph, string path, TransformerStackParams parameters, string x, string mask, string allowed, string? positions)
    {
        var h = x;
        for (var k = 0; k < parameters.Layers.Length; k++)
            h = TransformerBlockOnnx.Export(graph, Child(path, $"layers/{k}"), parameters.Layers[k], h, mask, allowed, positions);
        return Final(graph, path, parameters, h, mask);
    }

    /// <summary>
    /// Adds one cached step of the stack: block k reads and extends <paramref name="caches"/>[k]. Returns the new
    /// tokens' output and the blocks' extended caches, in order.
    /// </summary>
    /// <exception cref="ArgumentException">The number of caches is not the number of blocks.</exception>
    public static (string Output, OnnxKvCache[] Caches) Step(OnnxGraph graph, string path, TransformerStackParams parameters, string x, string mask, string allowed, string? positions, IReadOnlyList<OnnxKvCache> caches)
    {
        if (caches.Count != parameters.Layers.Length)
            throw new ArgumentException($"{path}: a stack of {parameters.Layers.Length} blocks needs {parameters.Layers.Length} caches, got {caches.Count}.", nameof(caches));
        var h = x;
        var next = new OnnxKvCache[caches.Count];
        for (var k = 0; k < next.Length; k++)
        {
            var step = TransformerBlockOnnx.Step(graph, Child(path, $"layers/{k}"), parameters.Layers[k], h, mask, allowed, positions, caches[k]);
            (h, next[k]) = (step.Output, step.Cache!);
        }
        return (Final(graph, path, parameters, h, mask), next);
    }

    /// <summary>
    /// The stack as a standalone model: inputs <c>values</c> float32 [batch, length, model], <c>mask</c> Bool [batch,
    /// length], <c>allowed</c> Bool [batch, length, length] and <c>positions</c> int64 [batch, length] (any batch and
    /// length), output <c>output</c> float32 [batch, length, model]. Before anything is written the stack is applied to
    /// the example (<paramref name="example"/>, <paramref name="allowed"/>, <paramref name="positions"/>) through
    /// <see cref="LayerPaths.Resolve{TParams,TResult}"/>, so an input the layers refuse (a mask of the wrong shape, a
    /// sequence of the wrong width) is refused at export as <see cref="TransformerStack.Apply"/> refuses it, naming the
    /// layer path (<c>layers/0/self_attn</c>).
    /// </summary>
    /// <exception cref="LayerInputException">The example does not fit the stack.</exception>
    public static OnnxGraph Graph(TransformerStackParams parameters, MaskedSequence example, torch.Tensor allowed, torch.Tensor positions)
    {
        using (var scope = torch.NewDisposeScope())
        {
            using var generator = new torch.Generator(0, example.Values.device);
            LayerPaths.Resolve(parameters, p => TransformerStack.Apply(p, example, allowed, positions, training: false, generator));
        }
        var model = example.Values.shape[2];
        var graph = new OnnxGraph("transformer-stack");
        var values = graph.Input("values", torch.ScalarType.Float32, -1, -1, model);
        var mask = graph.Input("mask", torch.ScalarType.Bool, -1, -1);
        var visible = graph.Input("allowed", torch.ScalarType.Bool, -1, -1, -1);
        var at = graph.Input("positions", torch.ScalarType.Int64, -1, -1);
        var output = Export(graph, "", parameters, values, mask, visible, at);
        graph.Output(graph.Node("Identity", "output", [output]), torch.ScalarType.Float32, -1, -1, model);
        return graph;
    }

    static string Final(OnnxGraph graph, string path, TransformerStackParams parameters, string h, string mask) =>
        parameters.Norm is null ? h
            : MasksOnnx.ZeroPadding(graph, $"{Child(path, "norm")}/Padding", LayerNormOnnx.Export(graph, Child(path, "norm"), parameters.Norm, h), mask, 3);

    static string Child(string path, string name) => path.Length == 0 ? name : $"{path}/{name}";
}
