using Functional.Core;
using TorchSharp;

namespace Functional.PropertyTests.Native;

public static partial class ScalarRaceParts
{
    /// <summary>The attention layers with parameters, as one tree for <see cref="Autodiff.ValueAndGrad{TParams}"/>.</summary>
    public sealed record AttentionLayers(AdditiveAttentionParams Additive, MultiHeadAttentionParams MultiHead);

    /// <summary>
    /// A masked 2-layer bidirectional LSTM or GRU, forward and backward through <see cref="Autodiff.ValueAndGrad{TParams}"/>,
    /// on a prefix mask (libtorch's fused kernel) and on a mask with holes (the step loop), with an all-padding row.
    /// </summary>
    static ScalarRacePart Recurrent(string name, bool lstm)
    {
        using var generator = new torch.Generator(11);
        object parameters = lstm ? Lstm.Init(generator, 4, 5, 2, true, torch.CPU) : Gru.Init(generator, 4, 5, 2, true, torch.CPU);
        var values = torch.randn([3, 6, 4], generator: generator);
        var prefix = PrefixMask(6, 6, 3, 0);
        var holes = MaskOf(3, 6, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        double Run() => Scoped(() => lstm
            ? Gradient(Autodiff.ValueAndGrad(p => Total(LstmLoss(p, values, prefix), LstmLoss(p, values, holes)), (LstmParams)parameters))
            : Gradient(Autodiff.ValueAndGrad(p => Total(GruLoss(p, values, prefix), GruLoss(p, values, holes)), (GruParams)parameters)));

        return new ScalarRacePart(name, Run, () =>
        {
            if (parameters is LstmParams lstmParameters) Tree.Dispose(lstmParameters);
            else Tree.Dispose((GruParams)parameters);
            foreach (var tensor in new[] { values, prefix, holes }) tensor.Dispose();
        });
    }

    static torch.Tensor LstmLoss(LstmParams parameters, torch.Tensor values, torch.Tensor mask)
    {
        var result = Lstm.Apply(parameters, values, mask);
        return Total(SumOfSquares(result.Output.Values), result.Hidden.sum(), result.Cell.sum());
    }

    static torch.Tensor GruLoss(GruParams parameters, torch.Tensor values, torch.Tensor mask)
    {
        var result = Gru.Apply(parameters, values, mask);
        return Total(SumOfSquares(result.Output.Values), result.Hidden.sum());
    }

    /// <summary>The checksum of a value and its gradient tree.</summary>
    static double Gradient<TParams>(ValueAndGradient<TParams> result) => Checksum([result.Value, .. Tree.Leaves(result.Gradient)]);

    /// <summary>
    /// Scaled dot-product attention (causal and not), additive attention and multi-head attention, all masked (one
    /// query row and one memory row all padding), forward and backward.
    /// </summary>
    static ScalarRacePart AttentionPart(string name)
    {
        using var generator = new torch.Generator(12);
        var layers = new AttentionLayers(AdditiveAttention.Init(generator, 8, 8, 6, torch.CPU), MultiHeadAttention.Init(generator, 8, 2, torch.CPU));
        var query = torch.randn([3, 4, 8], generator: generator);
        var memory = torch.randn([3, 5, 8], generator: generator);
        var queryMask = PrefixMask(4, 4, 2, 0);
        var memoryMask = MaskOf(3, 5, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        double Run() => Scoped(() =>
        {
            var result = Autodiff.ValueAndGrad(p =>
            {
                var dot = Attention.ScaledDotProduct(query, queryMask, memory, memory, memoryMask, causal: false);
                var causal = Attention.ScaledDotProduct(query, queryMask, memory, memory, memoryMask, causal: true);
                var additive = AdditiveAttention.Apply(p.Additive, query, queryMask, memory, memoryMask, causal: false);
                var multiHead = MultiHeadAttention.Apply(p.MultiHead, query, queryMask, memory, memoryMask, causal: true);
                return Total(SumOfSquares(dot.Output.Values), SumOfSquares(causal.Weights), SumOfSquares(additive.Output.Values),
                    SumOfSquares(additive.Weights), SumOfSquares(multiHead.Output.Values), multiHead.Weights.sum());
            }, layers);
            return Gradient(result);
        });

        return new ScalarRacePart(name, Run, () =>
        {
            Tree.Dispose(layers);
            foreach (var tensor in new[] { query, memory, queryMask, memoryMask }) tensor.Dispose();
        });
    }

    /// <summary>Five steps of a 2-layer <see cref="LstmStep"/> from its zero state.</summary>
    static ScalarRacePart LstmStepPart(string name)
    {
        using var generator = new torch.Generator(13);
        var parameters = Lstm.Init(generator, 4, 5, 2, false, torch.CPU);
        var inputs = torch.randn([5, 3, 4], generator: generator);

        double Run() => Scoped(() =>
        {
            using var noGradient = torch.no_grad();
            var state = LstmStep.Zeros(parameters, 3);
            var outputs = new List<torch.Tensor>();
            for (var t = 0; t < inputs.shape[0]; t++)
            {
                var step = LstmStep.Apply(parameters, inputs[t], state);
                outputs.Add(step.Output);
                state = step.State;
            }
            return Checksum([.. outputs, state.Hidden, state.Cell]);
        });

        return new ScalarRacePart(name, Run, () =>
        {
            Tree.Dispose(parameters);
            inputs.Dispose();
        });
    }

    /// <summary>
    /// Every helper of <see cref="Masks"/>: making and combining masks, softmax, sum, mean, max, real rows, lengths,
    /// reversal of the valid prefix, cross-entropy and accuracy, with the gradient of softmax, max and cross-entropy.
    /// </summary>
    static ScalarRacePart MasksPart(string name)
    {
        using var generator = new torch.Generator(14);
        var values = torch.randn([3, 5, 4], generator: generator);
        var scores = torch.randn([3, 5, 5], generator: generator);
        var logits = torch.randn([3, 5, 7], generator: generator);
        var targets = torch.randint(0, 7, [3, 5], generator: generator);
        var ids = torch.tensor(new long[] { 5, 6, 2, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, [3, 5]);
        var prefix = PrefixMask(5, 5, 2, 0);
        var holes = MaskOf(3, 5, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0);

        double Run() => Scoped(() =>
        {
            var made = new[]
            {
                Masks.FromPadIds(ids), Masks.And(prefix, holes), Masks.Causal(5, 5, torch.CPU), Masks.Lengths(holes),
                Masks.RealRows(values, holes), Masks.ReverseValidPrefix(values, prefix), Masks.Accuracy(logits, targets, holes),
                Masks.Sum(values, holes), Masks.Mean(values, holes),
            };
            var result = Autodiff.ValueAndGrad(l => Total(
                Masks.CrossEntropy(l, targets, holes),
                SumOfSquares(Masks.Softmax(l, holes.unsqueeze(-1), 1)),
                Masks.Max(l, prefix).sum(),
                SumOfSquares(Masks.Softmax(scores, Masks.Causal(5, 5, torch.CPU), -1))), logits);
            return Checksum(made) + Gradient(result);
        });

        return new ScalarRacePart(name, Run, () =>
        {
            foreach (var tensor in new[] { values, scores, logits, targets, ids, prefix, holes }) tensor.Dispose();
        });
    }
}
