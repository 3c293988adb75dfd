using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// libtorch's fused recurrent kernels (<c>nn.LSTM</c> / <c>nn.GRU</c> on a packed sequence) as one autograd node whose
/// inputs are the caller's input and weight tensors, so gradients flow to them.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 binds no functional LSTM or GRU (no <c>torch.lstm</c>, <c>_VF</c>, <c>lstm_cell</c> or <c>gru_cell</c>: the kernels
/// are reachable only through the native <c>nn.LSTM</c>/<c>nn.GRU</c> (and cell) modules), and a module's parameters cannot be
/// our tensors: a <c>Parameter</c> made from our tensor keeps the autograd link, but the native module refuses to have
/// a registered parameter replaced ("already registered"). So the forward copies the weights into a fresh module
/// (its own leaves), runs it on the packed rows with autograd on, and keeps that inner graph; the backward
/// differentiates the inner graph with <c>torch.autograd.grad</c> and hands the gradients of the module's leaves to our
/// weights and input. First derivatives only (no double backward); the inner graph is released at the first backward
/// (or by the garbage collector when no backward comes).
/// </remarks>
internal sealed class FusedRecurrence : autograd.MultiTensorFunction<FusedRecurrence>
{
    /// <summary>
    /// What to run: the cell kind and the sizes, the row lengths (each at least 1), whether a graph is needed, and
    /// whether the input needs a gradient (when not, the backward skips it).
    /// </summary>
    internal sealed record Config(Recurrence.Kind Kind, long Inputs, long Hidden, int Layers, bool Bidirectional, long[] Lengths, bool BuildGraph, bool InputGradient);

    /// <inheritdoc />
    public override string Name => "MaskedFusedRecurrence";

    /// <summary>
    /// Runs the fused kernel over zero-padded <paramref name="input"/> [batch, length, inputs] whose rows have the
    /// config's lengths; returns the padded output [batch, length, directions·hidden], the final hidden states and (for an
    /// LSTM) the final cell states, differentiable with respect to <paramref name="input"/> and <paramref name="weights"/>
    /// (in <see cref="Recurrence.Weights"/> order).
    /// </summary>
    internal static List<Tensor> Run(Config config, Tensor input, IReadOnlyList<Tensor> weights) =>
        apply([config, input, .. weights]);

    /// <inheritdoc />
    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var config = (Config)vars[0];
        var input = (Tensor)vars[1];
        var weights = vars.Skip(2).Cast<Tensor>().ToArray();
        var graph = new Graph(config, input, weights);
        // TorchSharp materialises missing output gradients from tensors it allocates in the caller's dispose scope,
        // which is gone by the time of the backward; missing gradients are made here instead.
        ctx.set_materialize_grads(false);
        if (config.BuildGraph) ctx.save_data("graph", graph);
        var outputs = graph.Outputs.Select(output => output.detach().clone()).ToList();
        if (!config.BuildGraph) graph.Dispose();
        return outputs;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        using var graph = (Graph)ctx.get_data("graph");
        var targets = new List<Tensor>();
        if (graph.InputGradient) targets.Add(graph.Input);
        targets.AddRange(graph.Weights);
        var outputs = graph.Outputs.ToList();
        var given = outputs.Select((output, i) => i < grad_outputs.Count && grad_outputs[i] is { IsInvalid: false } g ? g : zeros_like(output)).ToList();
        var gradients = autograd.grad(outputs, targets, given, allow_unused: true);
        var result = new List<Tensor> { null! };
        if (!graph.InputGradient) result.Add(zeros_like(graph.Input));
        result.AddRange(gradients.Select((g, i) => g is null || g.IsInvalid ? zeros_like(targets[i]) : g));
        return result;
    }

    /// <summary>The module with the weights copied in, the input leaf, and the outputs of its graph.</summary>
    sealed class Graph : IDisposable
    {
        readonly nn.Module module;

        public Graph(Config config, Tensor input, Tensor[] weights)
        {
            using var scope = NewDisposeScope();
            using var gradientMode = config.BuildGraph ? enable_grad() : no_grad();
            module = config.Kind == Recurrence.Kind.Lstm
                ? nn.LSTM(config.Inputs, config.Hidden, config.Layers, batchFirst: true, bidirectional: config.Bidirectional)
                : nn.GRU(config.Inputs, config.Hidden, config.Layers, batchFirst: true, bidirectional: config.Bidirectional);
            module.to(input.dtype).to(input.device);
            var named = module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
            Weights = Recurrence.WeightNames(config.Layers, config.Bidirectional).Select(name => named[name]).ToArray();
            using (no_grad())
                for (var i = 0; i < Weights.Length; i++) Weights[i].copy_(weights[i]);
            InputGradient = config.BuildGraph && config.InputGradient;
            Input = input.detach().requires_grad_(InputGradient);
            using var lengths = tensor(config.Lengths, dtype: ScalarType.Int64);
            var packed = nn.utils.rnn.pack_padded_sequence(Input, lengths, batch_first: true, enforce_sorted: false);
            var length = input.shape[1];
            if (config.Kind == Recurrence.Kind.Lstm)
            {
                var (output, hidden, cell) = ((TorchSharp.Modules.LSTM)module).call(packed);
                var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true, total_length: length);
                Outputs = [padded, hidden, cell];
            }
            else
            {
                var (output, hidden) = ((TorchSharp.Modules.GRU)module).call(packed);
                var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true, total_length: length);
                Outputs = [padded, hidden];
            }
            foreach (var tensor in Outputs.Append(Input).Concat(Weights)) tensor.DetachFromDisposeScope();
        }

        public Tensor Input { get; }

        public bool InputGradient { get; }

        public Tensor[] Weights { get; }

        public Tensor[] Outputs { get; }

        public void Dispose()
        {
            foreach (var tensor in Outputs.Append(Input).Concat(Weights)) tensor.Dispose();
            module.Dispose();
        }
    }
}
