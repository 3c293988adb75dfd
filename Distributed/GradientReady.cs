using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Distributed;

/// <summary>
/// The identity on one tensor, as an autograd node whose backward first hands the tensor's gradient to a callback: the
/// one way TorchSharp 0.107 (no tensor hooks) lets code learn, during backward, that a gradient is final. Autograd runs
/// a node only after every use of its output has added its part, so the gradient handed over is the whole gradient
/// even when the model uses the tensor several times (tied embeddings).
/// </summary>
/// <remarks>
/// The callback runs on the thread that runs backward (on CPU, the thread that called <c>torch.autograd.grad</c>), and
/// must not throw: an exception cannot cross the native autograd engine, so <see cref="OverlappedReduction"/> records
/// failures and raises them after backward. An output no one used gets no gradient and no callback.
/// </remarks>
internal sealed class GradientReady : autograd.SingleTensorFunction<GradientReady>
{
    /// <inheritdoc />
    public override string Name => "GradientReady";

    /// <summary><paramref name="tensor"/> through the node: the same values, and <paramref name="ready"/> called with its gradient.</summary>
    internal static Tensor Watch(Tensor tensor, Action<Tensor> ready) => apply(ready, tensor);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        // A missing gradient stays missing (TorchSharp would make zeros in the forward's dispose scope, gone by backward).
        ctx.set_materialize_grads(false);
        ctx.save_data("ready", vars[0]);
        return ((Tensor)vars[1]).alias();
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        if (grad_output is { IsInvalid: false }) ((Action<Tensor>)ctx.get_data("ready"))(grad_output);
        return [null!, grad_output];
    }
}
