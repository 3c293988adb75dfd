using FsCheck.Xunit;
using Functional.Core;
using Functional.Onnx;
using TorchSharp;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// Scaled dot-product, additive and multi-head attention exported to ONNX agree with our forward in ONNX Runtime to
/// 1e-5 (output and weights) over random sizes, padded queries and keys (rows without real tokens included), with and
/// without the causal mask.
/// </summary>
public sealed class AttentionOnnxTests
{
    [Property(MaxTest = 40)]
    public void Scaled_dot_product_agrees(int seed) => Check(seed, Kind.DotProduct);

    [Property(MaxTest = 40)]
    public void Additive_agrees(int seed) => Check(seed, Kind.Additive);

    [Property(MaxTest = 40)]
    public void Multi_head_agrees(int seed) => Check(seed, Kind.MultiHead);

    enum Kind { DotProduct, Additive, MultiHead }

    static void Check(int seed, Kind kind)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        int batch = random.Next(1, 4), queries = random.Next(1, 6), keys = random.Next(1, 6), heads = random.Next(1, 4);
        var width = kind == Kind.MultiHead ? heads * random.Next(1, 4) : random.Next(1, 7);
        var causal = random.Next(2) == 0;
        var generator = Rng(seed);
        torch.Tensor Mask(int length) => Masks.FromLengths(torch.tensor(Enumerable.Range(0, batch).Select(_ => (long)random.Next(0, length + 1)).ToArray()), length);
        var query = torch.randn([batch, queries, width], generator: generator);
        var memory = torch.randn([batch, keys, width], generator: generator);
        var values = torch.randn([batch, keys, width], generator: generator);
        var (queryMask, keyMask) = (Mask(queries), Mask(keys));

        var graph = new OnnxGraph("attention");
        var q = graph.Input("query", torch.ScalarType.Float32, -1, -1, width);
        var qm = graph.Input("queryMask", torch.ScalarType.Bool, -1, -1);
        var k = graph.Input("memory", torch.ScalarType.Float32, -1, -1, width);
        var km = graph.Input("memoryMask", torch.ScalarType.Bool, -1, -1);
        OnnxAttentionOutputs names;
        AttentionResult ours;
        var inputs = new List<(string, torch.Tensor)> { ("query", query), ("queryMask", queryMask), ("memory", memory), ("memoryMask", keyMask) };
        switch (kind)
        {
            case Kind.DotProduct:
                var v = graph.Input("values", torch.ScalarType.Float32, -1, -1, width);
                inputs.Add(("values", values));
                names = AttentionOnnx.ScaledDotProduct(graph, "attention", q, qm, k, v, km, causal);
                ours = Attention.ScaledDotProduct(query, queryMask, memory, values, keyMask, causal);
                break;
            case Kind.Additive:
                var additive = AdditiveAttention.Init(generator, width, width, random.Next(1, 6), Cpu);
                names = AdditiveAttentionOnnx.Export(graph, "attention", additive, q, qm, k, km, causal);
                ours = AdditiveAttention.Apply(additive, query, queryMask, memory, keyMask, causal);
                break;
            default:
                var multiHead = MultiHeadAttention.Init(generator, width, heads, Cpu);
                names = MultiHeadAttentionOnnx.Export(graph, "attention", multiHead, q, qm, k, km, causal);
                ours = MultiHeadAttention.Apply(multiHead, query, queryMask, memory, keyMask, causal);
                break;
        }
        graph.Output(names.Output, torch.ScalarType.Float32, -1, -1, width);
        graph.Output(names.Weights, torch.ScalarType.Float32, kind == Kind.MultiHead ? [-1, heads, -1, -1] : [-1, -1, -1]);
        var results = OrtRunner.Run(graph.ToModel(), [.. inputs]);
        var what = $"{kind} batch {batch} queries {queries} keys {keys} width {width} causal {causal}";
        OrtRunner.Agrees(ours.Output.Values, results[names.Output], $"{what}: output");
        OrtRunner.Agrees(ours.Weights, results[names.Weights], $"{what}: weights");
    }
}
