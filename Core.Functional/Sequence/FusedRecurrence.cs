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
/// (or by the garbage collector when no backward comes). Modules are reused: a released graph hands its module back to
/// <see cref="RecurrentModulePool"/>, so a later call of the same shape copies the weights into it instead of
/// constructing (and randomly initialising) a new one.
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
        // Only the outputs that received a gradient are differentiated (an unused final state adds nothing).
        var outputs = new List<Tensor>();
        var given = new List<Tensor>();
        for (var i = 0; i < graph.Outputs.Length; i++)
            if (i < grad_outputs.Count && grad_outputs[i] is { IsInvalid: false } g)
            {
                outputs.Add(graph.Outputs[i]);
                given.Add(g);
            }
        var gradients = outputs.Count == 0 ? targets.Select(_ => (Tensor)null!).ToList() : autograd.grad(outputs, targets, given, allow_unused: true).ToList();
        var result = new List<Tensor> { null! };
        if (!graph.InputGradient) result.Add(zeros_like(graph.Input));
        result.AddRange(gradients.Select((g, i) => g is null || g.IsInvalid ? zeros_like(targets[i]) : g));
        return result;
    }

    /// <summary>The module with the weights copied in, the input leaf, and the outputs of its graph.</summary>
    sealed class Graph : IDisposable
    {
        readonly RecurrentModulePool.Key key;
        readonly RecurrentModulePool.Entry module;
        bool disposed;

        public Graph(Config config, Tensor input, Tensor[] weights)
        {
            using var scope = NewDisposeScope();
            using var gradientMode = config.BuildGraph ? enable_grad() : no_grad();
            key = new RecurrentModulePool.Key(config.Kind, config.Inputs, config.Hidden, config.Layers, config.Bidirectional, input.dtype, input.device.type, input.device.index);
            module = RecurrentModulePool.Rent(key);
            using (no_grad())
                for (var i = 0; i < module.Weights.Length; i++) module.Weights[i].copy_(weights[i]);
            InputGradient = config.BuildGraph && config.InputGradient;
            Input = input.detach().requires_grad_(InputGradient);
            using var lengths = tensor(config.Lengths, dtype: ScalarType.Int64);
            var packed = nn.utils.rnn.pack_padded_sequence(Input, lengths, batch_first: true, enforce_sorted: false);
            var length = input.shape[1];
            if (config.Kind == Recurrence.Kind.Lstm)
            {
                var (output, hidden, cell) = ((TorchSharp.Modules.LSTM)module.Module).call(packed);
                var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true, total_length: length);
                Outputs = [padded, hidden, cell];
            }
            else
            {
                var (output, hidden) = ((TorchSharp.Modules.GRU)module.Module).call(packed);
                var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true, total_length: length);
                Outputs = [padded, hidden];
            }
            foreach (var tensor in Outputs.Append(Input)) tensor.DetachFromDisposeScope();
        }

        public Tensor Input { get; }

        public bool InputGradient { get; }

        /// <summary>The module's own weight leaves, in <see cref="Recurrence.Weights"/> order.</summary>
        public Tensor[] Weights => module.Weights;

        public Tensor[] Outputs { get; }

        /// <summary>Releases the inner graph, then hands the module back to the pool (once).</summary>
        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            foreach (var tensor in Outputs.Append(Input)) tensor.Dispose();
            RecurrentModulePool.Return(key, module);
        }
    }
}
