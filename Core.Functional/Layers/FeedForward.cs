using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The parameters of a two-layer perceptron: two <see cref="LinearParams"/> held as fields ("layer in layer"), so
/// its tree paths are <c>inner/weight, inner/bias, outer/weight, outer/bias</c> with no traversal code.
/// </summary>
/// <param name="Inner">inputs → hidden.</param>
/// <param name="Outer">hidden → outputs.</param>
/// <param name="Activation">Applied between them: configuration, not a leaf.</param>
public sealed record FeedForwardParams(LinearParams Inner, LinearParams Outer, Activation Activation);

/// <summary><c>Outer(activation(Inner(x)))</c> on the last dimension.</summary>
public static class FeedForward
{
    /// <summary>
    /// Two linear layers with bias from <see cref="Linear.Init"/> (inner drawn first, then outer, from
    /// <paramref name="generator"/>), float32 on <paramref name="device"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static FeedForwardParams Init(Generator generator, int inputs, int hidden, int outputs, Activation activation, Device device)
    {
        var inner = Linear.Init(generator, inputs, hidden, device);
        return new(inner, Linear.Init(generator, hidden, outputs, device), activation);
    }

    /// <summary>
    /// <c>Linear.Apply(Outer, Activations.Apply(Activation, Linear.Apply(Inner, x)))</c> for <paramref name="x"/>
    /// [..., inputs], giving [..., outputs]. Each linear layer checks its own input (an error names
    /// <c>inner</c> or <c>outer</c> as its path). Pure: neither mutates nor disposes x or the parameters.
    /// </summary>
    public static Tensor Apply(FeedForwardParams parameters, Tensor x)
    {
        using var hidden = Linear.Apply(parameters.Inner, x);
        using var activated = Activations.Apply(parameters.Activation, hidden);
        return Linear.Apply(parameters.Outer, activated);
    }
}
