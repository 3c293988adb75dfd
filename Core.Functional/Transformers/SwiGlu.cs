using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>The parameters of a SwiGLU feed-forward layer (Shazeer 2020): <c>Down(silu(Gate(x)) ⊙ Up(x))</c>.</summary>
/// <param name="Gate">inputs → hidden, through SiLU.</param>
/// <param name="Up">inputs → hidden, linear.</param>
/// <param name="Down">hidden → outputs.</param>
public sealed record SwiGluParams(LinearParams Gate, LinearParams Up, LinearParams Down);

/// <summary>The gated feed-forward layer of LLaMA-style transformers. (The GELU variant is <see cref="FeedForward"/> with <see cref="Activation.Gelu"/>.)</summary>
public static class SwiGlu
{
    /// <summary>Three layers without bias (as LLaMA), drawn Gate, Up, Down as <see cref="Linear.InitWithoutBias"/>, float32 on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static SwiGluParams Init(Generator generator, int inputs, int hidden, int outputs, Device device)
    {
        var gate = Linear.InitWithoutBias(generator, inputs, hidden, device);
        var up = Linear.InitWithoutBias(generator, inputs, hidden, device);
        return new(gate, up, Linear.InitWithoutBias(generator, hidden, outputs, device));
    }

    /// <summary>[..., outputs] for <paramref name="x"/> [..., inputs]; each linear layer checks its input. Pure.</summary>
    public static Tensor Apply(SwiGluParams parameters, Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = Gated(Linear.Apply(parameters.Gate, x), Linear.Apply(parameters.Up, x));
        return Linear.Apply(parameters.Down, hidden).MoveToOuterDisposeScope();
    }

    /// <summary>silu(gate) ⊙ up: the hidden activation, shared with <see cref="TransformerBlock"/>'s SwiGLU option.</summary>
    internal static Tensor Gated(Tensor gate, Tensor up)
    {
        using var activated = nn.functional.silu(gate);
        return activated.mul(up);
    }
}
